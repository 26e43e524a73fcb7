#!/usr/bin/env python3
"""Build the hand-written dev set (`sessions.jsonl`, `labels.jsonl`) from `dev.txt`.

`dev.txt` holds each session as the person who wrote it read it: a header, then one
line per event. It is written by hand from how the real logs in
`shared/real-sessions/` read (several agents, languages, hard negatives); nothing in
it comes from `signals generate`. This script only expands it into the interchange
format (spec: session-events.md) and the label-file format of `signals eval`.

Header:  == ID AGENT LANG | type,type | outcome      (types may be empty)
Events:
  U text                 user_message
  EDIT text              message_edit of the latest user message
  A text                 assistant_message
  T tool status[| out]   tool_call + tool_result (status ok|error|rejected|cancelled);
                         `\\n` in out is a newline
  STEPS n                n ordinary tool steps (read/edit/run, ok)
  + path / - path        context_add / context_remove
  INT                    interrupt
  ERR type | message     error event
  END status             session_end
Text may use `\\n` for a newline.
"""

import json
import os
import sys
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = ["read_file", "edit_file", "bash", "grep", "write_file"]


def main():
    # dev.txt -> sessions.jsonl + labels.jsonl; holdoutN.txt -> holdoutN-*.jsonl
    for name, prefix in (("dev.txt", ""), ("holdout.txt", "holdout-"), ("holdout2.txt", "holdout2-"), ("holdout3.txt", "holdout3-"), ("holdout4.txt", "holdout4-"), ("holdout5.txt", "holdout5-"), ("holdout6.txt", "holdout6-")):
        build(os.path.join(HERE, name), prefix)


def build(src, prefix):
    sessions, labels = [], []
    cur = None
    t0 = datetime(2026, 11, 16, 9, 0, 0)
    for lineno, raw in enumerate(open(src, encoding="utf-8"), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== "):
            head, frictions, outcome = [p.strip() for p in line[3:].split("|")]
            sid, agent, lang = head.split()
            n = len(labels)
            cur = {
                "id": sid,
                "events": [],
                "ts": t0 + timedelta(days=n % 14, minutes=7 * n),
                "user_seq": None,
                "calls": 0,
            }
            sessions.append(cur)
            labels.append({
                "session_id": sid,
                "frictions": [f for f in frictions.split(",") if f.strip()],
                "outcome": outcome,
                "lang": lang,
            })
            emit(cur, "session_start", agent=agent, agent_version="dev", user=f"u-{n % 23}")
            continue
        if cur is None:
            sys.exit(f"{src}:{lineno}: an event before the first '== ' header")
        op, _, rest = line.partition(" ")
        rest = rest.replace("\\n", "\n")
        if op == "U":
            cur["user_seq"] = emit(cur, "user_message", text=rest)
        elif op == "EDIT":
            emit(cur, "message_edit", text=rest, edits_seq=cur["user_seq"])
        elif op == "A":
            emit(cur, "assistant_message", text=rest)
        elif op == "T":
            spec, _, out = rest.partition("|")
            tool, status = spec.split()
            call(cur, tool, status, out.strip() or None)
        elif op == "STEPS":
            for i in range(int(rest)):
                call(cur, TOOLS[i % len(TOOLS)], "ok", None)
        elif op == "+":
            emit(cur, "context_add", path=rest)
        elif op == "-":
            emit(cur, "context_remove", path=rest)
        elif op == "INT":
            emit(cur, "interrupt")
        elif op == "ERR":
            kind, _, msg = rest.partition("|")
            emit(cur, "error", error_type=kind.strip(), message=msg.strip())
        elif op == "END":
            emit(cur, "session_end", status=rest)
        else:
            sys.exit(f"{src}:{lineno}: unknown event {op!r}")
    with open(os.path.join(HERE, prefix + "sessions.jsonl"), "w", encoding="utf-8") as f:
        for s in sessions:
            for e in s["events"]:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, prefix + "labels.jsonl"), "w", encoding="utf-8") as f:
        for lab in labels:
            out = {k: lab[k] for k in ("session_id", "frictions", "outcome")}
            f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(f"{os.path.basename(src)}: {len(sessions)} sessions")


def emit(s, kind, **fields):
    seq = len(s["events"])
    ts = s["ts"] + timedelta(seconds=20 * seq)
    e = {"session_id": s["id"], "seq": seq, "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": kind}
    e.update({k: v for k, v in fields.items() if v is not None})
    s["events"].append(e)
    return seq


def call(s, tool, status, output):
    s["calls"] += 1
    cid = f"c{s['calls']}"
    emit(s, "tool_call", call_id=cid, tool=tool, args={})
    emit(s, "tool_result", call_id=cid, status=status, output=output)


if __name__ == "__main__":
    main()
