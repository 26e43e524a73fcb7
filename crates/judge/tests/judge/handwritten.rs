//! Held-out, hand-written messages in realistic wording (not from the generator, not
//! what the patterns were written from). Each text detector must find most positives
//! and almost no negatives.

use signals_judge::{BuiltinJudge, Event, FrictionType, Judge, Session};

/// A session: some agent work, then the user turns given (a "||" inside a turn
/// separates consecutive user messages with agent work between them).
fn session(turns: &[&str]) -> Session {
    let mut events = Vec::new();
    let mut seq = 0;
    let mut push = |kind: &str, text: Option<&str>, events: &mut Vec<Event>| {
        events.push(Event {
            seq,
            kind: kind.into(),
            text: text.map(String::from),
            tool: (kind == "tool_call").then(|| "edit_file".into()),
            call_id: matches!(kind, "tool_call" | "tool_result").then(|| format!("c{}", seq / 2)),
            status: (kind == "tool_result").then(|| "ok".into()),
            ..Default::default()
        });
        seq += 1;
    };
    push(
        "user_message",
        Some("let's work on the importer module"),
        &mut events,
    );
    for t in turns {
        push("tool_call", None, &mut events);
        push("tool_result", None, &mut events);
        push(
            "assistant_message",
            Some("Done, I updated the code."),
            &mut events,
        );
        push("user_message", Some(t), &mut events);
    }
    Session {
        id: "s".into(),
        events,
    }
}

fn has(s: &Session, t: FrictionType) -> bool {
    BuiltinJudge::default()
        .friction(s)
        .iter()
        .any(|m| m.friction_type == t)
}

/// (recall on positives, false positives on negatives), with the misses listed.
fn score(t: FrictionType, pos: &[&[&str]], neg: &[&[&str]]) -> (f64, usize) {
    let mut missed = Vec::new();
    for p in pos {
        if !has(&session(p), t) {
            missed.push(p.join(" | "));
        }
    }
    let mut fps = Vec::new();
    for n in neg {
        if has(&session(n), t) {
            fps.push(n.join(" | "));
        }
    }
    eprintln!("{t}: missed {missed:#?}\nfalse positives {fps:#?}");
    (1.0 - missed.len() as f64 / pos.len() as f64, fps.len())
}

#[test]
fn tone_escalation_on_realistic_wording() {
    let pos: &[&[&str]] = &[
        &["dude what are you doing, I said don't touch the migrations"],
        &["No!!! Why did you delete the whole function??"],
        &["you're going in circles"],
        &["this is the fourth time you've made the same mistake"],
        &["can you please just listen for once"],
        &["omg stop"],
        &["Are you serious right now?"],
        &["I'm so done with this"],
        &["that's not even close, what is wrong with you"],
        &["You clearly didn't read the file"],
        &["nope, wrong AGAIN"],
        &["Why are you ignoring my instructions?"],
        &["this is infuriating"],
        &["¡Otra vez lo mismo! ¿Me estás escuchando?"],
        &["Das ist jetzt schon das dritte Mal, dass du das kaputt machst"],
        &["franchement, tu fais n'importe quoi"],
        &["cara, você está ignorando tudo que eu falo"],
        &["honestly, terrible job"],
        &["I TOLD YOU NOT TO CHANGE THE SCHEMA"],
        &["are you kidding me, it was working an hour ago"],
    ];
    let neg: &[&[&str]] = &[
        &["the login page looks terrible on mobile, can you fix the css?"],
        &["users are frustrated with the slow search, profile it"],
        &["this function is a mess, please refactor it"],
        &["handle the error when the API returns 'unauthorized'"],
        &["the build keeps failing on the arm runner, investigate"],
        &["why does the cache keep growing? find the leak"],
        &["add a 'stop' button to the player"],
        &["I hate how verbose this config is, simplify it"],
        &["NOTE: do not change the public API"],
        &["make the error message say \"Something went wrong, seriously\""],
        &["the tests are broken again after the upgrade"],
        &["why do we keep the old endpoint around? can we remove it?"],
        &["set MAX_RETRIES and HTTP_TIMEOUT in the env file"],
        &["great, that fixed it. now the README please"],
        &["el test falla otra vez después del merge, ¿lo miras?"],
    ];
    let (recall, fp) = score(FrictionType::ToneEscalation, pos, neg);
    assert!(recall >= 0.8, "recall {recall}");
    assert!(fp <= 1, "{fp} false positives");
}

#[test]
fn backtracking_on_realistic_wording() {
    let pos: &[&[&str]] = &[
        &["please revert that"],
        &["hmm can you undo the last two edits"],
        &["go back to the previous version of the function"],
        &["I liked it better before, change it back"],
        &["restore what was there before you edited it"],
        &["that broke everything, roll it back"],
        &["no no, put the old import back"],
        &["scrap that change"],
        &["revert the file to how it was"],
        &["undo"],
        &["get rid of the changes you made to the parser"],
        &["can you reverse your last edit?"],
        &["por favor revierte los cambios"],
        &["bitte mach die letzte Änderung rückgängig"],
        &["reviens à la version précédente"],
        &["desfaz isso por favor"],
    ];
    let neg: &[&[&str]] = &[
        &["implement an undo stack for the drawing app"],
        &["write a migration and its rollback"],
        &["the revert endpoint returns 500, fix it"],
        &["add undo/redo keyboard shortcuts"],
        &["git revert is failing in CI with a conflict, why?"],
        &["restore the database from the nightly backup on startup"],
        &["the function should undo the transaction on failure"],
        &["add a rollback step to the deploy pipeline"],
        &["make the back button go to the previous page"],
    ];
    let (recall, fp) = score(FrictionType::Backtracking, pos, neg);
    assert!(recall >= 0.8, "recall {recall}");
    assert!(fp <= 1, "{fp} false positives");
}

#[test]
fn platform_confusion_on_realistic_wording() {
    let pos: &[&[&str]] = &[
        &["wait, can you actually run commands on my machine?"],
        &["does this thing have access to the internet?"],
        &["how do I turn off the auto-approve?"],
        &["what's the difference between plan mode and normal mode?"],
        &["why did you forget what I told you at the start?"],
        &["is there a way to make you remember my preferences between sessions?"],
        &["I don't get how the permissions work here"],
        &["where did my previous conversation go?"],
        &["how much context do you have left?"],
        &["can I paste an image here?"],
        &["what does the --continue flag do?"],
        &["it looks like there isnt a /continue command but it is instead used with the -c switch"],
        &["which files can you see right now?"],
        &["¿cómo hago para que no me pidas confirmación cada vez?"],
        &["Wo stelle ich ein, welche Befehle du ausführen darfst?"],
    ];
    let neg: &[&[&str]] = &[
        &["add a setting to let users switch to dark mode"],
        &["the app should remember the last opened project"],
        &["implement permission checks for the admin routes"],
        &["what does the /health endpoint return?"],
        &["can the user see other tenants' files?"],
        &["how do I configure the context path for the servlet?"],
        &["make the CLI remember the last used profile"],
        &["what does this regex do?"],
    ];
    let (recall, fp) = score(FrictionType::PlatformConfusion, pos, neg);
    assert!(recall >= 0.75, "recall {recall}");
    assert!(fp <= 1, "{fp} false positives");
}

#[test]
fn rephrasing_cascades_on_realistic_wording() {
    let pos: &[&[&str]] = &[
        &[
            "make the export button download a csv",
            "no, it should download as csv, not json",
            "I need the export button to give me a CSV file",
        ],
        &[
            "sort the users by signup date",
            "I meant sort them by the date they signed up, newest first",
            "again: order the user list by signup date, most recent at the top",
        ],
        &[
            "the modal should close when you click outside it",
            "clicking outside the modal has to close it",
            "no, still doesn't close. the modal must close on an outside click",
        ],
        &[
            "log every failed login attempt",
            "what I want is a log line for each failed login",
            "let me rephrase: whenever a login fails, write it to the log",
        ],
        &[
            "remove the trailing slash from the generated urls",
            "the urls still end with a slash, remove it",
            "urls. without. the trailing slash.",
        ],
    ];
    let neg: &[&[&str]] = &[
        &[
            "make the export button download a csv",
            "great, now add a progress bar",
            "also show the file size",
        ],
        &[
            "sort the users by signup date",
            "nice. can you paginate the list too?",
            "thanks!",
        ],
        &[
            "add a log line for failed logins",
            "no, use the warn level instead of info",
            "ok now commit",
        ],
        &[
            "fix the flaky date test",
            "now the flaky network test",
            "and the flaky retry test",
        ],
        &[
            "rename getUser to fetchUser",
            "rename saveUser to storeUser",
            "rename delUser to removeUser",
        ],
    ];
    let (recall, fp) = score(FrictionType::RephrasingCascade, pos, neg);
    assert!(recall >= 0.6, "recall {recall}");
    assert!(fp <= 1, "{fp} false positives");
}

/// A second held-out set, written after the patterns were last changed and never
/// tuned on: the numbers it prints are the honest estimate of generalisation.
#[test]
fn second_held_out_set() {
    let tone_pos: &[&[&str]] = &[
        &["stop rewriting my tests, how many times"],
        &["bro you literally just broke the build AGAIN"],
        &["why would you do that?? I never asked for it"],
        &["I can't believe you deleted the config again"],
        &["this is a waste of my time"],
        &["Nein!! Du hast schon wieder alles kaputt gemacht"],
        &["c'est pas possible, tu ne lis même pas ce que j'écris"],
        &["you keep adding imports I don't need, stop it"],
    ];
    let tone_neg: &[&[&str]] = &[
        &["the checkout flow is broken for guests"],
        &["customers complain the page is useless on slow networks"],
        &["can you stop the worker when the queue is empty?"],
        &["why is the p99 latency so high on this endpoint?"],
        &["the old code was awful to read, clean it up please"],
    ];
    let back_pos: &[&[&str]] = &[
        &["revert please"],
        &["can we go back to the old version"],
        &["undo the last change, it broke the tests"],
        &["put everything back how it was"],
        &["please back out your last commit"],
        &["deshaz lo que hiciste en el archivo"],
    ];
    let back_neg: &[&[&str]] = &[
        &["add an undo button to the editor toolbar"],
        &["implement rollback for failed deployments"],
        &["make the history panel show reverted commits"],
    ];
    let plat_pos: &[&[&str]] = &[
        &["can you see my browser tabs?"],
        &["how do I stop you from asking before every command?"],
        &["do you remember the bug from last week's session?"],
        &["is there a plan mode or something?"],
        &["why can't you open the screenshot I pasted?"],
    ];
    let plat_neg: &[&[&str]] = &[
        &["add an auto mode to the thermostat scheduler"],
        &["the cli should remember the last region"],
        &["what does the --verbose flag of our deploy script print?"],
    ];
    held_out(
        "second",
        [tone_pos, tone_neg],
        [back_pos, back_neg],
        [plat_pos, plat_neg],
    );
}

/// A third held-out set, written after the second one was fixed and not tuned on.
#[test]
fn third_held_out_set() {
    let tone_pos: &[&[&str]] = &[
        &["you had ONE job"],
        &["great, now nothing compiles. thanks a lot"],
        &["I'm losing my mind here, it's the same error for the fifth time"],
        &["¿en serio? otra vez rompiste los tests"],
        &["non mais sérieusement, tu as encore tout cassé"],
        &["de novo?! você apagou meu arquivo de novo"],
        &["omg just stop"],
        &["can you please, for once, read what I wrote"],
    ];
    let tone_neg: &[&[&str]] = &[
        &["stop the server before running the migration"],
        &["the parser keeps failing on empty input, can you look"],
        &["users are frustrated that the search is slow"],
        &["why does the cache get invalidated on every request?"],
        &["this function is a mess, refactor it"],
    ];
    let back_pos: &[&[&str]] = &[
        &["hmm, that made it worse. revert it"],
        &["undo that"],
        &["I preferred the previous version, switch back to it"],
        &["get rid of the changes you just made to the router"],
        &["volte como estava antes, por favor"],
        &["mach das bitte rückgängig"],
    ];
    let back_neg: &[&[&str]] = &[
        &["write a script to revert the database to a snapshot"],
        &["the rollback step in the pipeline fails"],
        &["support undo in the drawing canvas"],
    ];
    let plat_pos: &[&[&str]] = &[
        &["do you have internet access?"],
        &["how do I make you stop asking for approval on every edit?"],
        &["wait, can you not see the image I attached?"],
        &["what happens to your context when the chat gets long?"],
        &["can you run commands on my machine or only suggest them?"],
    ];
    let plat_neg: &[&[&str]] = &[
        &["add a read-only mode to the admin panel"],
        &["the app should ask users for permission before sending email"],
        &["what does the --dry-run option in the Makefile do?"],
    ];
    held_out(
        "third",
        [tone_pos, tone_neg],
        [back_pos, back_neg],
        [plat_pos, plat_neg],
    );
}

type Set<'a> = [&'a [&'a [&'a str]]; 2];

/// Score a held-out set (positives, negatives) for the three text detectors and
/// print the numbers: the honest estimate of how they generalise.
fn held_out(name: &str, tone: Set<'_>, back: Set<'_>, plat: Set<'_>) {
    let t = score(FrictionType::ToneEscalation, tone[0], tone[1]);
    let b = score(FrictionType::Backtracking, back[0], back[1]);
    let p = score(FrictionType::PlatformConfusion, plat[0], plat[1]);
    eprintln!(
        "{name} held-out set: tone recall {:.2} fp {}, backtracking recall {:.2} fp {}, platform recall {:.2} fp {}",
        t.0, t.1, b.0, b.1, p.0, p.1
    );
    for (recall, fp) in [t, b, p] {
        assert!(recall >= 0.6, "recall {recall}");
        assert!(fp <= 1, "{fp} false positives");
    }
}

/// Outputs of steps the logs recorded as `ok`, in the shapes real agents write
/// them (Codex's command header, aider's and SWE-agent's messages, shells,
/// compilers, Python): the failures are found, and text that merely mentions
/// errors is not.
#[test]
fn failures_that_only_the_output_shows() {
    use signals_judge::friction::{agent_failed, output_failed};
    let failed = [
        "Command: /bin/zsh -lc \"cargo test\"\nChunk ID: 1a2b3c\nWall time: 3.2 seconds\nProcess exited with code 101\nOriginal token count: 812\nOutput:\n   Compiling app v0.1.0",
        "error[E0308]: mismatched types\n  --> src/main.rs:4:18\n   |\n4  |     let x: u32 = \"a\";",
        "Traceback (most recent call last):\n  File \"reproduce.py\", line 3, in <module>\n    import numpy\nModuleNotFoundError: No module named 'numpy'",
        "collected 12 items\n\ntests/test_api.py ....F\nAssertionError: expected 200, got 500",
        "zsh: command not found: pnpm",
        "bash: ./run.sh: Permission denied",
        "fatal: not a git repository (or any of the parent directories): .git",
        "No file open. Use the open command first.",
        "npm ERR! code ENOENT\nnpm ERR! syscall open",
        "thread 'main' panicked at src/lib.rs:10:5:\nindex out of bounds",
        "Running tests...\nFAILED tests/test_x.py::test_y\nsubprocess.CalledProcessError: Command '['make']' returned non-zero exit status 2.",
        "Error: Cannot find module 'express'\nRequire stack:\n- /app/index.js",
        "/bin/bash: line 1: pytest: command not found",
        "> vite build\n\nvite v5.2.0 building for production...\nError: Could not resolve entry module \"index.html\".\n    at getRollupError (file:///app/node_modules/rollup/dist/es/shared/parseAst.js:392:41)\n    at error (file:///app/node_modules/rollup/dist/es/shared/parseAst.js:388:42)",
        "protoc-gen-ts: program not found or is not executable\n--ts_out: protoc-gen-ts: Plugin failed with status code 1.",
        "tests/test_cli.py ..F.\n=================== 1 failed, 3 passed in 0.52s ===================",
    ];
    for o in failed {
        assert!(output_failed(o, true), "missed: {o}");
    }
    // Other tools' output counts only at its first or last line.
    assert!(output_failed(
        "Error: EACCES: permission denied, open '/etc/hosts'",
        false
    ));
    assert!(!output_failed(
        "# Troubleshooting\n\nIf you see this:\nError: Cannot find module\nrun npm install.\n\nThat's it.",
        false
    ));
    let fine = [
        "Command: /bin/zsh -lc \"sed -n '1,220p' AGENTS.md\"\nChunk ID: d7ac4d\nWall time: 0.0000 seconds\nProcess exited with code 0\nOutput:\n# Agents",
        "all tests passed; 0 errors, 0 warnings",
        "build finished, error handling paths covered",
        "def parse(x):\n    \"\"\"Raises:\n        ValueError: if x is empty.\n    \"\"\"\n    if not x:\n        raise ValueError(\"empty\")\n    return x",
        "package codex\n\nimport (\n\t\"errors\"\n)\n\nvar ErrMissing = errors.New(\"missing\")\n\nfunc f() error {\n\treturn ErrMissing\n}",
        "[File: src/marshmallow/fields.py (1997 lines total)]\n1457:            self.MINUTES,",
        "test result: ok. 42 passed; 0 failed; 0 ignored",
        "The file /mnt/c/app/errors.py has been updated. Here's the result of running `cat -n` on a snippet",
        "warning: unused variable `tmp`\n  --> src/lib.rs:3:9",
        "",
    ];
    for o in fine {
        assert!(!output_failed(o, true), "false alarm: {o}");
        assert!(!output_failed(o, false), "false alarm: {o}");
    }
    assert!(agent_failed(
        "The LLM did not conform to the edit format.\nhttps://aider.chat/docs/troubleshooting/edit-errors.html"
    ));
    assert!(agent_failed(
        "litellm.RateLimitError: AnthropicException - rate limit exceeded"
    ));
    assert!(!agent_failed(
        "I fixed the ValueError: the parser now accepts empty input."
    ));
    assert!(!agent_failed(
        "The tests failed earlier because of a typo; they pass now."
    ));

    // In a session: an `ok` result whose output failed is an error event.
    let mut s = session(&["thanks"]);
    let r = s
        .events
        .iter_mut()
        .find(|e| e.kind == "tool_result")
        .unwrap();
    r.output = Some(failed[0].to_string());
    assert!(has(&s, FrictionType::ErrorEvent));
    assert!(!has(&session(&["thanks"]), FrictionType::ErrorEvent));
}

/// A session from explicit (kind, text) events: `U` user, `A` agent, `T` a tool step.
fn script(events: &[(&str, &str)]) -> Session {
    let mut out = Vec::new();
    for (i, (kind, text)) in events.iter().enumerate() {
        let seq = 2 * i as i64;
        match *kind {
            "U" => out.push(Event {
                seq,
                kind: "user_message".into(),
                text: Some(text.to_string()),
                ..Default::default()
            }),
            "A" => out.push(Event {
                seq,
                kind: "assistant_message".into(),
                text: Some(text.to_string()),
                ..Default::default()
            }),
            _ => {
                for (k, status) in [("tool_call", None), ("tool_result", Some("ok"))] {
                    out.push(Event {
                        seq: seq + i64::from(k == "tool_result"),
                        kind: k.into(),
                        tool: Some("edit_file".into()),
                        call_id: Some(format!("c{i}")),
                        status: status.map(String::from),
                        ..Default::default()
                    });
                }
            }
        }
    }
    Session {
        id: "s".into(),
        events: out,
    }
}

/// Restatements by meaning: in another language, with the correction only implied,
/// or with the agent's questions answered in between; and what is not one.
#[test]
fn rephrasing_by_meaning_and_what_breaks_a_chain() {
    let cascade = |events: &[(&str, &str)]| has(&script(events), FrictionType::RephrasingCascade);
    // The third ask switches to Chinese: no word is shared with the first.
    assert!(cascade(&[
        ("U", "make the sidebar collapsible"),
        ("T", ""),
        ("A", "The sidebar now slides out as an overlay."),
        ("U", "no, it should collapse to icons only, not disappear"),
        ("T", ""),
        ("A", "I hid the sidebar behind a menu."),
        ("U", "我的意思是：收起的时候只显示图标，不要隐藏"),
    ]));
    // Russian, the correction in its own words.
    assert!(cascade(&[
        ("U", "добавь логирование в обработчик платежей"),
        ("T", ""),
        ("A", "Добавил print() в начало функции."),
        ("U", "нет, нужен нормальный логгер, а не print"),
        ("T", ""),
        ("A", "Добавил print с временной меткой."),
        (
            "U",
            "я же говорю — используй модуль logging, с уровнями info и error"
        ),
    ]));
    // Answers to the agent's own questions are not restatements.
    assert!(!cascade(&[
        ("U", "add a rate limiter to the login endpoint"),
        ("T", ""),
        ("A", "Should the limit be per IP or per account?"),
        ("U", "per account"),
        ("A", "How many attempts per window?"),
        ("U", "5 attempts per 15 minutes for each account"),
    ]));
    // aider's confirmation answers and slash commands are not requests.
    assert!(!cascade(&[
        (
            "U",
            "Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: y"
        ),
        (
            "U",
            "Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: y"
        ),
        (
            "U",
            "Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: all"
        ),
        ("U", "/add src/app.py"),
    ]));
    // New requests on the same subject, announced as such.
    assert!(!cascade(&[
        ("U", "add a /health endpoint"),
        ("T", ""),
        (
            "U",
            "nice. now add a /ready endpoint that also checks the database"
        ),
        ("T", ""),
        ("U", "moving on: a /metrics endpoint in prometheus format"),
    ]));
    // Giving up ends the chain: a request and one restatement is not a cascade.
    assert!(!cascade(&[
        ("U", "fix the failing snapshot test"),
        ("T", ""),
        ("A", "I updated the snapshot."),
        (
            "U",
            "no, you overwrote the snapshot with the broken output, fix the renderer"
        ),
        ("T", ""),
        ("U", "forget it, I'll do it myself"),
    ]));
}
