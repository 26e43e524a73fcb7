//! Leases: mutual exclusion between processes writing the same lake, held as an object
//! created with a conditional put (`PutMode::Create`) and carrying an expiry, so a
//! holder that died does not block others forever. A holder on this host whose
//! process is gone (killed with `kill -9`) is taken over at once, not after its
//! expiry; renewal is conditional, so a holder that lost its lease finds out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use crate::{Error, Lake, Result};

/// What a lease object holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LeaseRecord {
    /// Lease name (what it protects).
    pub name: String,
    /// Who holds it (host, pid, run id).
    pub holder: String,
    /// When it was taken.
    pub acquired_at: DateTime<Utc>,
    /// When it lapses unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// A lease held by this process. Release it when done; if the process dies, it lapses
/// at `expires_at` (at once for the next taker on the same host).
#[derive(Debug)]
pub struct Lease {
    lake: Lake,
    path: Path,
    record: LeaseRecord,
    ttl: Duration,
    taken_over: Option<LeaseRecord>,
}

impl Lake {
    /// Take the lease `name` for `holder`, valid for `ttl`.
    ///
    /// Fails with [`Error::LeaseHeld`] while another holder's lease is unexpired. An
    /// expired lease is taken over with a conditional update where the store supports
    /// it, else by delete-and-create (which is still guarded by the create precondition).
    pub async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<Lease> {
        let path = self.path(&format!("_leases/{name}.json"));
        // A dead holder's record, kept across the retries below (a store without
        // conditional updates takes over by delete and create).
        let mut taken_over: Option<LeaseRecord> = None;
        for _ in 0..3 {
            let now = Utc::now();
            let record = LeaseRecord {
                name: name.to_string(),
                holder: holder.to_string(),
                acquired_at: now,
                expires_at: now + chrono::Duration::from_std(ttl).unwrap_or_default(),
            };
            let payload = PutPayload::from(serde_json::to_vec(&record)?);
            match self
                .store()
                .put_opts(&path, payload.clone(), PutMode::Create.into())
                .await
            {
                Ok(_) => {
                    let mut lease = self.lease(path, record, ttl);
                    lease.taken_over = taken_over;
                    return Ok(lease);
                }
                Err(object_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let existing = match self.store().get(&path).await {
                Ok(g) => g,
                // Released between our put and get: try again.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let version = UpdateVersion {
                e_tag: existing.meta.e_tag.clone(),
                version: existing.meta.version.clone(),
            };
            let current: Option<LeaseRecord> =
                serde_json::from_slice(&existing.bytes().await?).ok();
            let live = current
                .as_ref()
                .filter(|cur| cur.expires_at > now && cur.holder != holder);
            if let Some(cur) = live
                && !dead_here(&cur.holder)
            {
                return Err(Error::LeaseHeld {
                    name: name.into(),
                    holder: cur.holder.clone(),
                    expires_at: cur.expires_at.to_rfc3339(),
                    path: path.to_string(),
                });
            }
            // Expired, its holder dead, unreadable, or ours already: take it over.
            if live.is_some() {
                taken_over = live.cloned();
            }
            let opts = PutOptions::from(PutMode::Update(version));
            match self.store().put_opts(&path, payload, opts).await {
                Ok(_) => {
                    let mut lease = self.lease(path, record, ttl);
                    lease.taken_over = taken_over;
                    return Ok(lease);
                }
                Err(object_store::Error::Precondition { .. }) => continue,
                Err(object_store::Error::NotImplemented { .. })
                | Err(object_store::Error::NotSupported { .. }) => {
                    match self.store().delete(&path).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let current = self.read_lease(name).await?;
        Err(Error::LeaseHeld {
            name: name.into(),
            holder: current
                .as_ref()
                .map_or("unknown".into(), |c| c.holder.clone()),
            expires_at: current.map_or("unknown".into(), |c| c.expires_at.to_rfc3339()),
            path: path.to_string(),
        })
    }

    /// The current record of lease `name`, if any.
    pub async fn read_lease(&self, name: &str) -> Result<Option<LeaseRecord>> {
        let path = self.path(&format!("_leases/{name}.json"));
        match self.store().get(&path).await {
            Ok(g) => Ok(serde_json::from_slice(&g.bytes().await?).ok()),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn lease(&self, path: Path, record: LeaseRecord, ttl: Duration) -> Lease {
        Lease {
            lake: self.clone(),
            path,
            record,
            ttl,
            taken_over: None,
        }
    }

    /// Every lease in the lake, with whether its holder is a process of this host
    /// that is gone (such a lease is taken over by the next taker).
    pub async fn list_leases(&self) -> Result<Vec<(LeaseRecord, bool)>> {
        let prefix = self.path("_leases");
        let mut out = Vec::new();
        let mut list = self.store().list(Some(&prefix));
        while let Some(meta) = futures::StreamExt::next(&mut list).await {
            let meta = meta?;
            let Some(name) = meta
                .location
                .filename()
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string)
            else {
                continue;
            };
            if let Some(r) = self.read_lease(&name).await? {
                let dead = dead_here(&r.holder);
                out.push((r, dead));
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    /// Remove lease `name` whoever holds it (`signals lease break`): for a holder
    /// on another host that is known to be gone. Returns what was removed.
    pub async fn break_lease(&self, name: &str) -> Result<Option<LeaseRecord>> {
        let current = self.read_lease(name).await?;
        if current.is_some() {
            let path = self.path(&format!("_leases/{name}.json"));
            match self.store().delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(current)
    }
}

impl Lease {
    /// The lease as written.
    pub fn record(&self) -> &LeaseRecord {
        &self.record
    }

    /// The record of the holder this lease was taken over from, when that holder
    /// (a process of this host) was gone before its lease lapsed.
    pub fn taken_over(&self) -> Option<&LeaseRecord> {
        self.taken_over.as_ref()
    }

    /// Push the expiry forward by the lease's ttl. Fails if someone else took the
    /// lease, even between the read and the write: the write is conditional on the
    /// version read (where the store supports it).
    pub async fn renew(&mut self) -> Result<()> {
        let lost = |other: Option<LeaseRecord>| Error::LeaseHeld {
            name: self.record.name.clone(),
            holder: other.as_ref().map_or("nobody".into(), |c| c.holder.clone()),
            expires_at: other.map_or("-".into(), |c| c.expires_at.to_rfc3339()),
            path: self.path.to_string(),
        };
        let got = match self.lake.store().get(&self.path).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Err(lost(None)),
            Err(e) => return Err(e.into()),
        };
        let version = UpdateVersion {
            e_tag: got.meta.e_tag.clone(),
            version: got.meta.version.clone(),
        };
        let current: Option<LeaseRecord> = serde_json::from_slice(&got.bytes().await?).ok();
        if current
            .as_ref()
            .is_none_or(|c| c.holder != self.record.holder)
        {
            return Err(lost(current));
        }
        let mut record = self.record.clone();
        record.expires_at = Utc::now() + chrono::Duration::from_std(self.ttl).unwrap_or_default();
        let payload = PutPayload::from(serde_json::to_vec(&record)?);
        let opts = PutOptions::from(PutMode::Update(version));
        match self
            .lake
            .store()
            .put_opts(&self.path, payload.clone(), opts)
            .await
        {
            Ok(_) => {}
            Err(object_store::Error::Precondition { .. }) => {
                let now = self.lake.read_lease(&self.record.name).await?;
                return Err(lost(now));
            }
            // A store without conditional updates (the local file system): the
            // holder check above is what there is.
            Err(object_store::Error::NotImplemented { .. })
            | Err(object_store::Error::NotSupported { .. }) => {
                self.lake.store().put(&self.path, payload).await?;
            }
            Err(e) => return Err(e.into()),
        }
        self.record = record;
        Ok(())
    }

    /// Give the lease up (only if still ours).
    pub async fn release(self) -> Result<()> {
        if let Some(c) = self.lake.read_lease(&self.record.name).await?
            && c.holder == self.record.holder
        {
            match self.lake.store().delete(&self.path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// A holder id for this process: host, pid and a random suffix.
pub fn holder_id() -> String {
    let host = this_host().unwrap_or_else(|| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// This machine's host name: `HOSTNAME`, else the kernel's (Linux), else
/// `/etc/hostname`. `None` when none says.
fn this_host() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(':'))
}

/// Whether `holder` (a [`holder_id`]) is a process of this host that no longer
/// runs. Only where the process table can be read (`/proc`); elsewhere a
/// holder is never presumed dead and its lease lapses at its expiry.
fn dead_here(holder: &str) -> bool {
    let mut parts = holder.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    this_host().is_some_and(|h| h == host)
        && pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}
