//! Word banks for the generator. Wording varies a lot on purpose: this is the
//! development set of the judges, and a judge tuned to a few fixed phrases is
//! worthless on real users. Hard negatives (task wording that looks like friction)
//! are here too.

/// A programming language with the files, frameworks and tools that go with it.
pub struct Lang {
    /// Label id (as in label files).
    pub id: &'static str,
    /// File extension.
    pub ext: &'static str,
    /// Source directories.
    pub dirs: &'static [&'static str],
    /// Module / file stems.
    pub stems: &'static [&'static str],
    /// Manifest file.
    pub manifest: &'static str,
    /// Frameworks.
    pub frameworks: &'static [&'static str],
    /// Test command.
    pub test_cmd: &'static str,
    /// Build command.
    pub build_cmd: &'static str,
    /// Compiler/test error outputs.
    pub errors: &'static [&'static str],
}

/// Languages sessions are about.
pub const LANGS: &[Lang] = &[
    Lang {
        id: "rust",
        ext: "rs",
        dirs: &["src", "crates/core/src", "src/bin"],
        stems: &[
            "upload", "parser", "config", "client", "cache", "retry", "auth", "storage",
        ],
        manifest: "Cargo.toml",
        frameworks: &["tokio", "axum", "serde", "clap"],
        test_cmd: "cargo test",
        build_cmd: "cargo build",
        errors: &[
            "error[E0308]: mismatched types\n  --> src/{stem}.rs:42:17",
            "error[E0502]: cannot borrow `self.items` as mutable because it is also borrowed as immutable",
            "test {stem}::tests::roundtrip ... FAILED\nthread 'main' panicked at 'assertion failed: left == right'",
        ],
    },
    Lang {
        id: "python",
        ext: "py",
        dirs: &["app", "src/service", "scripts"],
        stems: &[
            "views", "models", "utils", "worker", "settings", "api", "tasks", "forms",
        ],
        manifest: "pyproject.toml",
        frameworks: &["django", "fastapi", "flask", "pandas", "pytest"],
        test_cmd: "pytest -q",
        build_cmd: "python -m build",
        errors: &[
            "Traceback (most recent call last):\n  File \"app/{stem}.py\", line 88, in handler\nKeyError: 'user_id'",
            "E   AssertionError: assert 3 == 4\nFAILED tests/test_{stem}.py::test_total",
            "ModuleNotFoundError: No module named '{stem}_helpers'",
        ],
    },
    Lang {
        id: "typescript",
        ext: "ts",
        dirs: &["src", "src/components", "packages/web/src"],
        stems: &[
            "api", "store", "router", "hooks", "form", "table", "session", "theme",
        ],
        manifest: "package.json",
        frameworks: &["react", "next.js", "express", "vitest"],
        test_cmd: "npm test",
        build_cmd: "npm run build",
        errors: &[
            "src/{stem}.ts(31,7): error TS2322: Type 'string | undefined' is not assignable to type 'string'.",
            "FAIL src/{stem}.test.ts > renders the list\nAssertionError: expected 2 to equal 3",
            "TypeError: Cannot read properties of undefined (reading 'map')",
        ],
    },
    Lang {
        id: "go",
        ext: "go",
        dirs: &["internal/server", "cmd/api", "pkg/store"],
        stems: &[
            "handler",
            "store",
            "queue",
            "middleware",
            "config",
            "metrics",
        ],
        manifest: "go.mod",
        frameworks: &["gin", "grpc", "cobra"],
        test_cmd: "go test ./...",
        build_cmd: "go build ./...",
        errors: &[
            "./{stem}.go:57:2: undefined: retryPolicy",
            "--- FAIL: Test{stem} (0.01s)\n    {stem}_test.go:40: got 2, want 3",
            "panic: runtime error: invalid memory address or nil pointer dereference",
        ],
    },
    Lang {
        id: "java",
        ext: "java",
        dirs: &[
            "src/main/java/com/acme/service",
            "src/main/java/com/acme/api",
        ],
        stems: &[
            "OrderService",
            "UserController",
            "InvoiceRepository",
            "RetryConfig",
        ],
        manifest: "pom.xml",
        frameworks: &["spring", "junit", "hibernate"],
        test_cmd: "mvn test",
        build_cmd: "mvn package",
        errors: &[
            "[ERROR] /src/main/java/com/acme/{stem}.java:[44,9] cannot find symbol",
            "java.lang.NullPointerException: Cannot invoke \"String.length()\"",
            "Tests run: 12, Failures: 1, Errors: 0",
        ],
    },
];

/// Intent categories with task templates. `{obj}` is a thing of the codebase,
/// `{stem}` a module name.
pub struct Intent {
    /// Intent id.
    pub id: &'static str,
    /// English task phrasings.
    pub tasks: &'static [&'static str],
}

/// Things a task is about (`{obj}`).
pub const OBJECTS: &[&str] = &[
    "upload client",
    "login form",
    "billing report",
    "search endpoint",
    "cache layer",
    "export job",
    "settings page",
    "rate limiter",
    "csv importer",
    "notification service",
    "payment webhook",
    "user table",
    "pagination",
    "date picker",
    "config loader",
    "retry logic",
    "session store",
    "invoice pdf",
    "audit log",
    "image resizer",
];

/// Intents and their tasks. Several contain words that look like friction but are
/// part of the task (hard negatives): broken, crash, undo, revert, rollback, settings.
pub const INTENTS: &[Intent] = &[
    Intent {
        id: "bug_fix",
        tasks: &[
            "the {obj} is broken when the input is empty, can you fix it?",
            "fix the crash in the {obj} when the list has one element",
            "users report the {obj} returns wrong totals after the last release, please investigate",
            "there's a bug in {stem}: it fails on unicode names. find and fix it",
            "the {obj} hangs forever if the server never answers. fix that",
            "why does the {obj} throw on null values? please fix",
            "our {obj} double counts entries, track down the cause and fix it",
            "the tests for {stem} are failing since yesterday, make them pass again without skipping anything",
        ],
    },
    Intent {
        id: "feature",
        tasks: &[
            "add retries with exponential backoff to the {obj}",
            "the {obj} needs an undo/redo history, build it",
            "write the down migration that undoes the {obj} schema change",
            "give the {obj} a button with which users get their earlier version back",
            "support pagination in the {obj}",
            "the {obj} should offer a dark theme switch",
            "let the {obj} accept a timeout parameter",
            "implement caching for the {obj} responses",
            "add an option to export the {obj} as csv",
        ],
    },
    Intent {
        id: "refactor",
        tasks: &[
            "refactor the {obj} so the parsing and the io are separate",
            "split {stem} into smaller functions, it's getting hard to read",
            "clean up the {obj}: remove dead code and duplicated helpers",
            "rename the confusing variables in {stem} and simplify the control flow",
            "extract the validation of the {obj} into its own module",
        ],
    },
    Intent {
        id: "tests",
        tasks: &[
            "write unit tests for the {obj}",
            "add an integration test that covers the {obj} error path",
            "increase test coverage of {stem}, especially the edge cases",
            "add property tests for the {obj}",
        ],
    },
    Intent {
        id: "docs",
        tasks: &[
            "document the public functions of {stem}",
            "update the readme with how to configure the {obj}",
            "write a short design note explaining how the {obj} works",
            "add docstrings to the {obj} module",
        ],
    },
    Intent {
        id: "question",
        tasks: &[
            "when exactly does the {obj} retry? explain the flow to me",
            "where is the {obj} configured? walk me through it",
            "what happens in {stem} when the queue is full?",
            "can you explain why the {obj} uses a mutex here?",
        ],
    },
    Intent {
        id: "ops_config",
        tasks: &[
            "have ci run the {obj} tests for each push",
            "update the dockerfile so the {obj} builds faster",
            "bump the dependencies and fix what breaks in the {obj}",
            "add the {obj} settings to the helm chart values",
            "configure the logger of the {obj} to write json",
        ],
    },
];

/// Follow-up requests (a new, different request: not a restatement).
pub const FOLLOW_UPS: &[&str] = &[
    "nice. add a log line for when it happens",
    "great, the changelog needs a line about it too",
    "looks good. next, please add a test for the empty case",
    "ok that works. the timeout case needs handling as well",
    "thanks! and rename the helper to something clearer",
    "perfect. now run the linter and fix the warnings",
    "good. also make the error message more descriptive",
    "cool, update the docs for this too",
    "now please commit this with a sensible message",
    "that's right. check the other call sites as well",
];

/// Closing messages of a satisfied user.
/// Closings after the agent fixed its own failure: warmer than a plain thanks
/// (the seed's "recovery beats perfection").
pub const THANKS_AFTER_FIX: &[&str] = &[
    "that sorted it, great work, thank you!",
    "nice recovery, it builds now. thanks a lot",
    "awesome, green again. much appreciated",
    "excellent, the failure is gone. thanks!",
    "genial, ya pasa todo. ¡muchas gracias!",
    "klasse, jetzt läuft es durch. danke!",
    "génial, tout passe maintenant. merci !",
    "ótimo, agora passa tudo. obrigado!",
    "太好了，都过了，谢谢",
    "отлично, теперь всё проходит, спасибо",
];

/// What the agent says last in a completed session the user does not thank.
pub const WRAP_UPS: &[&str] = &[
    "Done. The change is in place and the checks pass.",
    "All set: the work is committed on the branch.",
    "That completes the task; nothing else is pending.",
];

pub const THANKS: &[&str] = &[
    "thanks, that works",
    "perfect, thank you!",
    "great, all green now",
    "looks good to me",
    "ok, merged. thanks",
    "works now 👍",
    "danke, passt so",
    "gracias, funciona",
    "merci, c'est bon",
    "valeu, funcionou",
];

/// How restatements of a request start (rephrasing cascades), per language.
pub const RESTATE_PREFIX: &[&str] = &[
    "no, ",
    "no no. ",
    "that is not what I asked for. ",
    "again: ",
    "let me put it differently: ",
    "I'll try once more: ",
    "what I'm after: ",
    "to clarify, ",
    "nope. ",
    "still not it. ",
    "you misunderstood. ",
    "hmm, no. ",
    "not quite. ",
    "once again, ",
    "read carefully: ",
    "",
    "",
    "",
];

/// Ways to restate "do X to the OBJ": (verb phrase templates with `{obj}`).
pub const RESTATE_FORMS: &[&str] = &[
    "I need the {obj} to {goal}",
    "please make the {obj} {goal}",
    "the whole point: the {obj} should {goal}",
    "could the {obj} be changed so that it will {goal}?",
    "I only ask that the {obj} {goal}",
    "make it so the {obj} can {goal}",
    "my meaning was: the {obj} must {goal}",
    "the {obj} has to {goal}, that's the whole task",
    "I want the {obj} to {goal}, not something else",
    "change the {obj}: it should {goal}",
];

/// How a cascade's original request is put: as a new request, plainly, without
/// a correction cue (the restatements that follow bring those).
pub const ORIGINAL_FORMS: &[&str] = &[
    "next: I need the {obj} to {goal}",
    "now, please make the {obj} {goal}",
    "new task: make it so the {obj} can {goal}",
    "separate request: change the {obj}, it should {goal}",
];

/// Goals used in restatements (paired with objects).
pub const GOALS: &[&str] = &[
    "retry failed requests a few times before giving up",
    "skip empty rows instead of crashing",
    "keep the previous value when the new one is invalid",
    "show an error message instead of a blank screen",
    "load the settings from the environment",
    "return results sorted by date, newest first",
    "stop sending duplicate emails",
    "accept both lower and upper case ids",
    "write its output as json lines",
    "time out after thirty seconds",
];

/// Restatements in other languages (`{obj}` stays as typed by a developer).
pub const RESTATE_OTHER: &[(&str, &[&str])] = &[
    (
        "es",
        &[
            "no, lo que necesito es que el {obj} {goal_es}",
            "otra vez: quiero que el {obj} {goal_es}",
            "no es eso, el {obj} tiene que {goal_es}",
            "lo repito: el {obj} debe {goal_es}",
        ],
    ),
    (
        "de",
        &[
            "nein, ich brauche, dass der {obj} {goal_de}",
            "noch einmal: der {obj} soll {goal_de}",
            "du hast mich falsch verstanden, der {obj} muss {goal_de}",
            "ich sage es nochmal: der {obj} soll {goal_de}",
        ],
    ),
    (
        "fr",
        &[
            "non, je veux que le {obj} {goal_fr}",
            "je le redis : le {obj} doit {goal_fr}",
            "ce n'est pas ça, le {obj} doit {goal_fr}",
            "je répète : il faut que le {obj} {goal_fr}",
        ],
    ),
    (
        "pt",
        &[
            "não, eu preciso que o {obj} {goal_pt}",
            "de novo: o {obj} tem que {goal_pt}",
            "não foi isso que pedi, o {obj} deve {goal_pt}",
            "repetindo: quero que o {obj} {goal_pt}",
        ],
    ),
];

/// Goals in other languages, index-aligned with [`GOALS`].
pub const GOALS_ES: &[&str] = &[
    "reintente las peticiones fallidas",
    "ignore las filas vacías",
    "mantenga el valor anterior",
    "muestre un mensaje de error",
    "lea la configuración del entorno",
    "devuelva los resultados ordenados por fecha",
    "deje de enviar correos duplicados",
    "acepte ids en mayúsculas y minúsculas",
    "escriba la salida como json",
    "se detenga a los treinta segundos",
];
/// German goals.
pub const GOALS_DE: &[&str] = &[
    "fehlgeschlagene Anfragen wiederholt",
    "leere Zeilen überspringt",
    "den alten Wert behält",
    "eine Fehlermeldung zeigt",
    "die Einstellungen aus der Umgebung liest",
    "die Ergebnisse nach Datum sortiert",
    "keine doppelten Mails mehr schickt",
    "Groß- und Kleinschreibung bei IDs akzeptiert",
    "die Ausgabe als JSON schreibt",
    "nach dreißig Sekunden abbricht",
];
/// French goals.
pub const GOALS_FR: &[&str] = &[
    "réessaie les requêtes en échec",
    "ignore les lignes vides",
    "garde l'ancienne valeur",
    "affiche un message d'erreur",
    "lise la configuration depuis l'environnement",
    "trie les résultats par date",
    "arrête d'envoyer des mails en double",
    "accepte les ids en majuscules et minuscules",
    "écrive la sortie en json",
    "s'arrête après trente secondes",
];
/// Portuguese goals.
pub const GOALS_PT: &[&str] = &[
    "tente de novo as requisições que falham",
    "ignore as linhas vazias",
    "mantenha o valor anterior",
    "mostre uma mensagem de erro",
    "leia a configuração do ambiente",
    "retorne os resultados ordenados por data",
    "pare de mandar emails duplicados",
    "aceite ids em maiúsculas e minúsculas",
    "escreva a saída em json",
    "pare depois de trinta segundos",
];

/// Frustration aimed at the agent, many languages and styles (explicit, sarcastic,
/// shouting, terse).
pub const FRUSTRATION: &[&str] = &[
    "why does this break each and every time?",
    "this is worthless.",
    "are my messages read by you at all?",
    "three times now I have written this",
    "quit editing stuff nobody asked you to edit!",
    "oh wonderful, broken again. thanks so much",
    "wow. brilliant. another failing build",
    "seriously?",
    "this has become absurd",
    "an entire afternoon gone on this",
    "STOP. DO NOT TOUCH THE TESTS",
    "HOW IS THIS STILL FAILING",
    "ugh, no, NOT AGAIN",
    "are simple instructions beyond you?",
    "must I repeat myself forever",
    "my patience with you is gone",
    "sure, go ahead and ignore all my instructions, why not",
    "what the hell happened here, what did you touch",
    "for god's sake, just follow the request",
    "what a farce",
    "¿por qué haces esto cada vez?",
    "esto es una pérdida de tiempo total",
    "¡mil veces lo he repetido!",
    "warum passiert das jedes Mal?",
    "das ist echt lächerlich",
    "liest du überhaupt, was ich schreibe?",
    "c'est du grand n'importe quoi",
    "tu ne lis même pas mes messages",
    "je l'ai déjà répété trois fois !",
    "você não presta atenção no que eu escrevo",
    "isso é inútil demais",
    "outra vez esse erro? sério?",
];

/// Task text with frustration-looking words that is not frustration (hard negatives).
pub const CALM_NEGATIVES: &[&str] = &[
    "the parser is broken on empty input, can you look?",
    "this test is failing again after the merge, let's see why",
    "the build is broken on windows only. any idea?",
    "it crashes with a stupid off-by-one I think, check the loop bounds",
    "the error message says 'useless variable', what does that lint mean?",
    "the old implementation performed terribly, let's rewrite the hot loop",
    "WARNING: the deploy script must keep the DB_URL variable",
    "the customers hate the slow export, can we speed it up?",
    "el parser falla con la entrada vacía, ¿puedes revisarlo?",
    "der Build ist unter Windows kaputt, kannst du nachsehen?",
    "le test échoue encore après le merge, regarde pourquoi",
    "o build está quebrado no windows, pode verificar?",
];

/// Requests to undo what the agent did.
pub const BACKTRACK: &[&str] = &[
    "undo that",
    "revert your last change",
    "make it how it used to be",
    "roll back the edit you just made to {stem}",
    "please give me the original version of the file back",
    "that made it worse, give me the earlier version back",
    "undo everything you did in the last step",
    "remove this edit once more",
    "pull the old version of the file out of git again",
    "strip out what you added last, the earlier state was nicer",
    "lose that refactor please",
    "discard your changes to the config",
    "hard-reset my branch to the commit before yours, please",
    "deshaz el último cambio",
    "déjalo como antes",
    "mach das rückgängig",
    "stell die Datei wieder her wie vorher",
    "annule ta dernière modification",
    "remets le fichier comme avant",
    "desfaça a última alteração",
    "volta como estava antes",
];

/// Confusion about the agent product itself.
pub const PLATFORM: &[&str] = &[
    "how would I put you in auto mode?",
    "what does /compact actually do?",
    "is the output in my second terminal visible to you?",
    "why does every command you run need my approval?",
    "what we worked on yesterday in the other session, is that still known to you?",
    "which option makes you stop requesting confirmation for each edit?",
    "what must I do so that the docs folder is readable for you?",
    "did the context get lost? you don't seem to know the file we discussed",
    "wait, what model is answering me right now?",
    "how can AGENTS.md be loaded by you on every start?",
    "is your context full already? the first instructions seem gone",
    "can a /clear be reversed somehow?",
    "where is it configured what tools you may use?",
    "is web browsing something you can do or not?",
    "why is my attachment invisible to you?",
    "which key interrupts you without losing the session?",
    "¿dónde se activa el modo automático?",
    "¿ves lo que sale en mi otra terminal?",
    "wo kann man die Bestätigungen abschalten?",
    "weißt du noch, was wir in der letzten Sitzung gemacht haben?",
    "comment t'autoriser à lire le dossier docs ?",
    "te rappelles-tu ce qu'on a fait hier ?",
    "onde fica a troca do modo de permissão?",
    "o arquivo que eu anexei aparece pra você?",
];

/// Questions about the user's own product settings (hard negatives for platform confusion).
pub const PLATFORM_NEGATIVES: &[&str] = &[
    "our app's logger should print json, where is that set up?",
    "where are the feature flags of the {obj} set?",
    "could the {obj} keep the filter a user picked last time?",
    "add a permission check so only admins can open the {obj}",
    "what's the default timeout of the {obj}? make it configurable",
];

/// Assistant replies.
pub const ASSISTANT: &[&str] = &[
    "I'll start by reading the relevant files.",
    "Let me look at how {stem} is structured.",
    "I found the issue: the loop skips the last element.",
    "I've updated the implementation and will run the tests.",
    "The tests pass now.",
    "I'll make the change and verify it builds.",
    "Here's what I changed and why.",
    "Running the test suite to check for regressions.",
    "Let me search for other call sites first.",
    "I've reverted the change.",
    "Done. Summary of the changes below.",
];

/// Instructions appended to some frustrated messages.
pub const TONE_TAILS: &[&str] = &[
    "just run the tests.",
    "only touch {stem}, nothing else.",
    "fix the build first.",
    "read the error message before editing.",
    "leave the config alone.",
    "use the existing helper.",
];

/// How a user starts a new request in the middle of a session.
pub const NEW_REQUEST: &[&str] = &[
    "next, ",
    "now, ",
    "ok, different topic: ",
    "another request: ",
    "moving on. ",
    "also, ",
    "separate request: ",
    "new task: ",
];

/// A variant of the planted `ci_pipeline` theme: the CI system's files and command.
pub struct CiVariant {
    /// Files a session about it reads and edits.
    pub paths: &'static [&'static str],
    /// A command that runs the pipeline locally ("" when there is none).
    pub command: &'static str,
}

/// CI systems of the planted `ci_pipeline` theme.
pub const CI_VARIANTS: &[CiVariant] = &[
    CiVariant {
        paths: &[".github/workflows/ci.yml", ".github/workflows/release.yml"],
        command: "act -j test",
    },
    CiVariant {
        paths: &[".gitlab-ci.yml"],
        command: "gitlab-runner exec docker test",
    },
    CiVariant {
        paths: &["Jenkinsfile"],
        command: "",
    },
    CiVariant {
        paths: &[".circleci/config.yml"],
        command: "",
    },
];

/// Requests of the planted `ci_pipeline` theme, across intents.
pub const CI_TASKS: &[&str] = &[
    "the ci pipeline takes forty minutes, cache the dependencies between jobs",
    "our ci build fails on the {obj} tests only in the pipeline, not locally. fix it",
    "add a job that runs the {obj} integration tests on every merge request",
    "make the workflow run the {obj} checks on a matrix of versions",
    "document how the release job publishes the {obj} artifacts",
    "why does the {obj} job get skipped on tags? walk me through the conditions",
    "set up the deploy stage so the {obj} ships after the tests pass",
];
