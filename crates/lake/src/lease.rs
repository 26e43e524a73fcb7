//! Leases: mutual exclusion between processes writing the same lake, held as an object
//! created with a conditional put (`PutMode::Create`) and carrying an expiry, so a
//! holder that died does not block others forever.

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
/// at `expires_at`.
#[derive(Debug)]
pub struct Lease {
    lake: Lake,
    path: Path,
    record: LeaseRecord,
    ttl: Duration,
}

impl Lake {
    /// Take the lease `name` for `holder`, valid for `ttl`.
    ///
    /// Fails with [`Error::LeaseHeld`] while another holder's lease is unexpired. An
    /// expired lease is taken over with a conditional update where the store supports
    /// it, else by delete-and-create (which is still guarded by the create precondition).
    pub async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<Lease> {
        let path = self.path(&format!("_leases/{name}.json"));
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
                Ok(_) => return Ok(self.lease(path, record, ttl)),
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
            if let Some(cur) = &current
                && cur.expires_at > now
                && cur.holder != holder
            {
                return Err(Error::LeaseHeld {
                    name: name.into(),
                    holder: cur.holder.clone(),
                    expires_at: cur.expires_at.to_rfc3339(),
                    path: path.to_string(),
                });
            }
            // Expired, unreadable, or ours already: take it over.
            let opts = PutOptions::from(PutMode::Update(version));
            match self.store().put_opts(&path, payload, opts).await {
                Ok(_) => return Ok(self.lease(path, record, ttl)),
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
        }
    }
}

impl Lease {
    /// The lease as written.
    pub fn record(&self) -> &LeaseRecord {
        &self.record
    }

    /// Push the expiry forward by the lease's ttl. Fails if someone else took the lease.
    pub async fn renew(&mut self) -> Result<()> {
        let current = self.lake.read_lease(&self.record.name).await?;
        match current {
            Some(c) if c.holder == self.record.holder => {}
            other => {
                return Err(Error::LeaseHeld {
                    name: self.record.name.clone(),
                    holder: other.as_ref().map_or("nobody".into(), |c| c.holder.clone()),
                    expires_at: other.map_or("-".into(), |c| c.expires_at.to_rfc3339()),
                    path: self.path.to_string(),
                });
            }
        }
        self.record.expires_at =
            Utc::now() + chrono::Duration::from_std(self.ttl).unwrap_or_default();
        let payload = PutPayload::from(serde_json::to_vec(&self.record)?);
        self.lake.store().put(&self.path, payload).await?;
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
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
