//! Patterns of the built-in judge, in English, Spanish, German, French and Portuguese.
//!
//! Each pattern says who the words are aimed at: frustration *at the agent*, undo
//! *of what the agent did*, confusion *about the agent product*. Task wording that
//! merely contains such words ("fix the broken parser", "implement undo", "add a
//! permission check") is excluded by requiring that direction.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

fn set(patterns: &[&str]) -> RegexSet {
    RegexSet::new(patterns.iter().map(|p| format!("(?i){p}"))).expect("valid lexicon")
}

fn re(p: &str) -> Regex {
    Regex::new(&format!("(?i){p}")).expect("valid lexicon")
}

/// Frustration or anger aimed at the agent.
pub static FRUSTRATION: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        // English: reproach, repetition, giving up on the agent
        r"\bwhy (do|did|would|are|does) you (keep|always|still|again|even|never)\b",
        r"\bwhy (is|does) (this|it) (still|again|keep|always)\b",
        r"\b(are|were) you (even|actually|really) (reading|listening|paying|looking|trying)",
        r"\b(do|did) you (not|even) (understand|read|listen|get it)",
        r"\byou(('re| are)| (just|don't|didn't|never|keep|again|still))? (not )?(listening|ignor|broke|break|ruin|messed|mess(ing)? (it|this|everything) up|wast|don't listen|never listen)",
        r"\bi('ve| have)? (already )?(told|said|asked|explained) (you|this|that|it) (\w+ )?(\d+|two|three|four|five|several|many|multiple|so many) times",
        r"\bi (already|just) (told|said|asked|explained)",
        r"\bhow many (more )?times (do|must|should|have) i\b",
        r"\b(this|that|you|it)('s| is| are|'re)?( getting| becoming)? (completely |totally |absolutely |so |just |utterly |really |beyond )?(useless|ridiculous|pathetic|hopeless|infuriating|unbelievable|a joke|garbage|trash|nonsense|absurd|insane|maddening|frustrating|annoying)\b",
        r"\b(useless|pathetic|hopeless|incompetent)[.!?]*$",
        r"\bwast(ing|ed|e) (my|our) time\b",
        r"\blosing (my )?patience\b|\bi('m| am) (so )?(done|tired|sick|fed up) with (you|this)\b",
        r"\b(for god'?s sake|for fuck'?s sake|what the (hell|fuck|heck)|wtf|ffs|goddamn|god damn|bloody hell)\b",
        r"^\s*(seriously|really|come on|are you kidding( me)?|unbelievable|jesus|ugh+|oh come on|give me a break)\s*[?!.]*\s*$",
        r"^\W*(seriously|come on|are you kidding( me)?|unbelievable|give me a break)\s*[?!]+",
        r"\b(ugh+|argh+|omg)\b",
        r"\b(not again|again\?!|same (mistake|error|thing) again)\b",
        r"\b(oh )?(great|brilliant|wonderful|perfect|fantastic|awesome|nice),? (another|you broke|now it|now nothing|thanks for nothing|just great|that broke)",
        r"\bthanks (a lot|for nothing)\b.*\b(broke|again|fail|worse)|\b(broke|again|fail|worse)\b.*\bthanks (a lot|for nothing)\b",
        r"\b(wow|brilliant|genius)\.\s+(another|you|now|just)\b",
        r"\bstop (changing|touching|deleting|adding|removing|doing|rewriting|ignoring|breaking|making) (things|stuff|what|everything|my|the|that|this|files|code)\b",
        r"\bdo what i (asked|said|told you)\b|\bjust do what i\b|\bfollow (my|the) (simple )?instructions\b|\bsimple instructions\b",
        r"\bsure,? just ignore\b|\bignor(e|ed|ing) (everything|what) i (said|asked|wrote)\b",
        r"\bi give up\b|\bforget it\b",
        // General constructions: reproach in the second person, counted repetition,
        // disbelief, pleading, verdicts on the agent's work.
        r"\bwhat (the (hell|heck|fuck) )?are you (even )?doing\b|\bwhat('s| is) wrong with you\b|\bwhat did you (just )?do\b",
        r"\byou(('re| are)|('ve| have))? (\w+ ){0,2}(going (around )?in circles|not listening|ignoring|ignored|made the same mistake|keep making|keep breaking|keep ignoring|keep doing|keep changing|clearly (didn't|did not|don't|haven't)|didn't (even )?(read|look|listen|check)|never (read|listen))",
        r"\b(second|third|fourth|fifth|sixth|nth|umpteenth|hundredth|\d+(st|nd|rd|th)) time (you|that you|i('ve| have)|we('ve| have)|in a row|now)\b|\bfor the (third|fourth|fifth|nth|umpteenth|hundredth) time\b|\bsame (mistake|error|bug|thing) (again|twice|over and over)\b",
        r"\b(are|r) (you|u) (serious|kidding|joking|for real)\b|\bare you kidding( me)?\b",
        r"\b(just |please )*(listen|pay attention)( to me)?( for once)?\b.{0,20}\b(for once|please|!)|\bfor once\b",
        r"\b(terrible|awful|horrible|lousy|sloppy|useless|pathetic|garbage|crap|shitty|stupid|dumb|lazy) (job|work|answer|attempt|effort|fix|change|response)\b",
        r"\b(wrong|nope|no|still wrong)[,.!]* ((?-i:AGAIN)|again[!?]{1,})",
        r"\bi (already |explicitly |specifically |clearly |literally )?(told you|said (not|don't|do not|no|to not|never))\b",
        r"^\W*no+[!?]{2,}|[!?]{3,}|\?!|!\?",
        r"\bomg\b.{0,10}\b(stop|no|why)\b|\bstop[.!]{1,}\s*$",
        r"\bi'?m (so |really |completely |just )?(done|fed up|sick of (this|you)|over this)\b",
        r"\bi (can'?t|cannot|can not) believe (you|this|that|it)\b|\bunbelievable that you\b",
        r"\byou had (one|1) (job|task|thing to do)\b|\b(one|1) (simple )?job\b.{0,20}\byou\b",
        r"\bwaste of (my |our )?(time|day|afternoon|morning|money)\b",
        r"\bwhy (would|did|do|on earth would|the hell did) you (\w+ ){0,3}(do|change|delete|remove|add|touch|rewrite|break|create|rename|move) (that|this|it|them|those|my|the)\b.*(\?\?|!|\bi (never|didn'?t|did not) (ask|want|say|tell)|\bnobody asked)",
        r"\byou\b.*\?{2,}|\?{2,}.*\byou\b",
        r"(?-i:\b(AGAIN|STOP|WHY|SERIOUSLY|WRONG)\b)",
        r"\byou (just |literally |clearly |again )*(broke|deleted|removed|ruined|wiped|overwrote|reverted|undid|trashed) .{0,40}\b(again|twice)\b",
        r"\byou (keep|constantly|always|continually) (\w+ing)\b.{0,80}(\bstop\b|\bdon'?t\b|\bnever\b|\bnot\b|!|\bagain\b)",
        r"^\W*(no+|nein|non|não|nope)\s*[!?]{2,}",
        r"\bschon wieder\b.{0,40}\b(kaputt|falsch|gelöscht|vergessen|ignoriert|kaputtgemacht)|\b(kaputt|falsch) gemacht\b.{0,20}\bschon wieder\b",
        r"\b(de nuevo|otra vez) (has roto|rompiste|borraste|lo rompiste)\b|\b(has roto|rompiste|borraste) .{0,30}\b(otra vez|de nuevo)\b",
        r"\b(encore|de nouveau) (cassé|supprimé)\b|\btu as (encore|de nouveau) (tout )?(cassé|supprimé)\b",
        r"\b(quebrou|apagou|estragou) .{0,30}\b(de novo|outra vez)\b|\b(de novo|outra vez) (quebrou|apagou)\b",
        r"\b(otra vez lo mismo|me est(á|a)s escuchando|no me haces caso|qué (estás|haces) haciendo)\b",
        r"\b(zum|das|schon das) (dritte|vierte|fünfte|x-te|zigste)n? mal\b|\bwas machst du (da)?\b|\bdu machst (das|es|alles) (schon wieder |immer )?kaputt\b",
        r"\bn'importe quoi\b|\bqu'est-ce que tu fais\b|\btu (ne )?(m')?écoutes? (pas|jamais|rien)\b",
        r"\b(você|vc) (está|tá) ignorando\b|\bignorando tudo\b|\bo que (você|vc) (está|tá) fazendo\b|\bnão (me )?escuta\b",
        // Spanish
        r"\bpor qué (sigues|siempre|otra vez|de nuevo|no me)\b",
        r"\b(no sirve(s)? para nada|es (in)?útil|eres (in)?útil|es ridículo|qué desastre|me estás tomando el pelo)\b",
        r"\b(te lo he dicho|ya te (lo )?dije|te lo repito por)\b|\bmil veces\b",
        r"\bno me (escuchas|haces caso|estás escuchando)\b|\bestoy harto\b",
        // German
        r"\bwarum (machst|tust|ignorierst|änderst) du (das )?(immer|schon wieder|ständig|dauernd)?",
        r"\b(das ist|du bist) (doch )?(lächerlich|nutzlos|unbrauchbar|ein witz|sinnlos)\b",
        r"\bhörst du (mir )?(überhaupt|eigentlich)? ?zu\b|\bzum (dritten|x-ten|hundertsten) mal\b|\bich habe (es )?dir (doch )?(schon )?gesagt\b",
        // French
        r"\bc'est n'importe quoi\b|\bc'est (ridicule|nul|inutile|pas possible)\b|\bt'es nul\b",
        r"\btu (ne )?m'écoutes (pas|jamais)\b|\btu ne m'écoutes\b",
        r"\bça fait (deux|trois|quatre|\d+) fois\b|\bje te l'ai (déjà )?dit\b|\bpourquoi tu (continues|refais|fais toujours)\b",
        // Portuguese
        r"\bvocê não (está )?(me )?(ouvindo|escuta|entende nada)\b|\bnão está me ouvindo\b",
        r"\b(isso é|você é) (inútil|ridículo|uma piada)\b|\bde novo esse\b|\bsério\?",
        r"\bjá (te )?(disse|falei)\b|\bpor que você (continua|sempre)\b",
    ])
});

/// "Why do you keep asking for permission" is confusion about the product, not anger.
pub static FRUSTRATION_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bwhy (do|does|did) you (keep |always )?(ask(ing)?|need(ing)?|request(ing)?) (me )?(for )?(permission|to confirm|confirmation|approval)",
    )
});

/// A request to undo or revert what the agent did.
pub static BACKTRACK: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        r"^\W*(please |pls |ok,? |no,? |ugh,? |hmm,? )?(undo|revert|roll ?back|rollback)\b",
        r"\b(can|could|would) you (please )?(undo|revert|roll ?back|reverse|restore|back out|take out|remove) (that|this|it|your|the (last|previous|latest)|everything|what you|those|these|all)",
        r"\b(undo|revert|roll ?back|reverse) (that|this|it|your|the (last|previous|latest) (change|edit|commit|step|modification)|everything (you|that)|what you|those changes|these changes|all (of )?(that|your|the) changes)",
        r"\bput (it|that|this|them|everything|all|things|the( \w+){1,3}) (all )?back\b",
        r"\b(go|get|switch) back to (what|how|the way) (we|it|things) (had|was|were|looked)\b|\bback to (what|how) (we had|it was)\b|\bthe way it was\b",
        r"\brestore the (original|previous|old|earlier) (version|file|code|state)\b",
        r"\b(take|back) (that|this|the) (change |refactor |edit )?out\b|\bback out (that|this|the|your)\b",
        r"\b(discard|throw away|drop) (your|the|those|these|all) (changes|edits|modifications)\b",
        r"\bgit (checkout|restore) (the |that |this )?(file|--)",
        r"\bremove (what|everything) you (just )?(added|changed|wrote|did)\b",
        r"\b(it|that|this) (was|worked) better before\b",
        r"\brevert to the (previous|last|old|earlier)\b",
        r"\b(go|get|switch|return) back to (the |your )?(previous|old|original|earlier|last|prior) (version|state|code|implementation|one|approach|behaviou?r)\b",
        r"\b(change|set|turn|switch|move|make) (it|that|this|them|those|everything) back\b|\broll (it|that|this|them|everything|those) back\b",
        r"\b(scrap|ditch|toss|trash|nuke) (that|this|it|those|these|your|the last) ?(change|edit|changes|edits|refactor)?\b",
        r"\b(get rid of|throw (out|away)|drop|remove|delete|lose) (the |those |these |your |all (the |of )?)?(changes|edits|modifications) (you|that you) (just )?(made|did|applied)\b",
        r"\b(liked|preferred) (it|the old one|the previous one|the original) (better|more) (before|earlier)\b|\bbetter before\b",
        r"\b(switch|go|change|revert|return|get) back to (it|that|the (previous|old|original|earlier|first|last) (one|version|code|approach))\b",
        r"\brestore (what (was|we had)|the way|it|that|everything)\b",
        r"\breverse (your|that|this|the last|the previous) (edit|change|commit|step)s?\b",
        // Spanish
        r"\b(deshaz|deshacer|revierte|revertir|vuelve atrás)\b",
        r"\b(déjalo|vuelve a dejarlo|ponlo) como estaba\b",
        // German
        r"\brückgängig\b|\b(setz|stell) (die|das|den|es) \w* ?(auf den alten stand |wieder )?(zurück|her)\b|\balten stand\b",
        // French
        r"\bannule (ta|tes|ça|cette|la dernière|le dernier)\b|\b(remets|remettre|reviens|revenir) (le|la|les|ça|tout|à)\b.*\b(comme avant|précédente?|d'avant)\b",
        // Portuguese
        r"\b(desfaça|desfazer|desfaz|reverta|reverter)\b|\b(volta|volte|deixa|deixe) como (estava|era)\b",
    ])
});

/// Task wording in which undo/revert words are the subject of the work, not a request.
pub static BACKTRACK_TASK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(implement|add|support|build|create|write|design|test|fix|adding|implementing|need|an?|the) (an? |the |proper |basic )?(undo|redo|revert|rollback|roll-back|restore)(s|ing)?\b.{0,40}\b(button|migration|feature|functionality|support|command|stack|history|logic|endpoint|script|option|mechanism|editor|in the|for the|to the)\b|\b(undo|redo|revert|rollback|roll-back|restore) (and redo |and undo )?(button|migration|feature|functionality|support|stack|history|endpoint|script|option|mechanism)s?\b|\b(botón|migración|botão|migração|schaltfläche|bouton) (de |para |zum )?(deshacer|revertir|desfazer|reverter|rückgängig|annuler)",
    )
});

/// Confusion about the agent product: its commands, settings, modes, permissions,
/// memory, context limits and what it can see.
pub static PLATFORM: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        r"\bhow (do|can|should) i (switch|put|set|turn|change|get|make|tell|give|let|stop|configure) you\b",
        r"\bhow (do|can) i (switch|change|turn|set|enable|disable|toggle|get) (to |into |on |off )?(the )?(auto|plan|agent|yolo|edit|ask|chat|read-only|auto-accept|permission|approval|sandbox)(-| )?mode\b",
        r"\b(what|how) (does|do|did) (the )?/[a-z][a-z-]+( command)? (actually )?(do|work|mean)\b|\bwhat('s| is) the (/\w+|slash) command\b|\bhow (do|can) i (undo|reverse|recover from) (a |the )?/[a-z]+\b",
        r"\bwhy (do|does|did|are|is) you (keep )?(ask(ing)?|need(ing)?|request(ing)?|want(ing)?) (me )?(for )?(permission|to confirm|confirmation|approval)\b",
        r"\b(stop|without) (you )?asking (me )?(for |to )?(permission|confirm|approval)|\bconfirm every (edit|command|change|step)\b|\bsetting so you (stop|don't|won't)\b",
        r"\b(do|can|did) you (remember|recall|still know|know) (what|anything|the|our|that|how)\b.{0,60}\b(yesterday|last (time|session|week)|before|earlier|other (session|chat|conversation|window)|previous (session|chat|conversation))\b",
        r"\b(did you|have you) (lose|lost|forget|forgotten) (the |your |my )?(context|instructions|memory|what)\b|\byou (seem to have )?(forgot|lost) (the |my )?(context|first instructions|instructions|earlier)\b",
        r"\bcontext (window|limit|length) (is )?(full|exceeded|reached|limit)\b|\bis the context (window )?full\b|\bout of context\b|\bran out of context\b",
        r"\b(can|could|do) you (see|access|read|browse|open|reach) (my|the|our) (other |second |local )?(terminal|screen|browser|clipboard|desktop|web|internet|attachment|file i|image i|window|ide|editor|output in)\b|\bcan you (browse|search) the (web|internet)\b",
        r"\b(why )?can('t|not) you (see|access|read|open) (the|my) (file|image|screenshot|attachment)s? i (just )?(attached|uploaded|sent|pasted|dropped)\b",
        r"\bhow (do|can) i (give|grant|let) you (access|permission|read)\b|\bgive you access\b",
        r"\bwhich model (am i|are you|is this)\b|\bwhat model (are you|am i talking)\b",
        r"\b(how|where) (do|can) i (make|get|have) you (read|load|use|follow)\b|\b(read|load) (the )?(agents|claude|gemini)\.md\b|\bagents\.md (file )?automatically\b",
        r"\bwhere (do|can) i (configure|set|change) (which|what) (tools|commands) you\b|\b(tools|commands) you('re| are) allowed\b",
        r"\b(what'?s|what is) the (shortcut|key|hotkey) to (interrupt|stop|cancel) you\b|\bhow (do|can) i (interrupt|stop|pause) you\b",
        // General: capability questions to the agent, product controls, history.
        r"\b(can|could|do|are) you (actually |really |even )?(able to )?(run|execute|access|see|read|browse|open|use|search|remember|edit|reach) (\w+ ){0,3}(on my (machine|computer|laptop)|my (machine|computer|terminal|screen|clipboard|browser|files?)|the (internet|web)|images?|screenshots?|pdfs?)\b",
        r"\b(does|do|can|is) (this (thing|tool|agent|assistant|app|bot)|the (agent|assistant|bot)|you) (have|get|got) (access|internet|network|web)\b",
        r"\b(which|what) (files|folders|directories|repos?|things) can you (see|access|read|open)\b",
        r"\b(turn|switch|toggle|shut) (off|on) (the )?(auto[- ]?approv\w*|auto[- ]?accept\w*|confirmations?|prompts?|yolo|sandbox|plan mode|permission prompts?)\b",
        r"\b(plan|auto|normal|edit|ask|agent|chat|yolo|auto-accept|architect|code) mode\b.*\?|\bdifference between \w+ mode\b",
        r"\bwhat (does|do) (the )?--?[a-z][a-z-]+ (flag|option|switch)\b|\bwhat (does|do) (the )?--[a-z][a-z-]+\b",
        r"\b(why|how) (did|do|does|could|can) you (forget|lose|not remember)\b|\bmake you remember\b|\bremember (\w+ ){0,3}(between|across) (sessions|chats|conversations)\b",
        r"\b(can'?t|cannot|can) you (not )?(see|access|read|open|view|load) (the|my|this|that|those|these) (\w+ )?(file|image|screenshot|attachment|picture|photo|pdf|log)s? (i|that i|we) (just )?(attached|uploaded|sent|pasted|dropped|shared|added)\b",
        r"\byour (context|memory|context window|system prompt|instructions|token limit|knowledge cutoff)\b",
        r"\bthere (isn'?t|is no|is not|'s no) (a |an |any )?/[a-z][a-z-]+ (command|option)\b|\b(is there|isn'?t there) (a |an )?/[a-z][a-z-]+ (command|option)\b|\bwhere did the /[a-z][a-z-]+ command go\b",
        r"\bhow much context\b|\bcontext (left|remaining|window)\b",
        r"\b(don't|do not|doesn't|can't) (get|understand|figure out) how (the )?(permissions?|modes?|approvals?|this tool|this thing|you) (work|works|function)\b",
        r"\bwhere (did|does|do) my (previous|last|old|earlier) (conversation|chat|session|history|thread)s? go\b|\blost my (conversation|chat|session|history)\b",
        r"\bcan i (paste|attach|upload|drop|send|share) (an? |the |my )?(image|screenshot|picture|file|pdf|photo)s? (here|to you|in (here|the chat))\b",
        r"\bque no me pidas (confirmación|permiso)\b|\bpedirme (confirmación|permiso)\b",
        r"\bwelche (befehle|tools|werkzeuge|dateien) du\b|\bwo stelle ich (ein|das ein)\b.*\bdu\b",
        // Spanish
        r"\bcómo (activo|desactivo|cambio|pongo) (el )?modo\b|\bmodo (automático|plan)\b.*\?|\b(puedes|podés) ver (mi|la|el) (otra )?(terminal|pantalla|archivo que)\b|\bte acuerdas de\b|\bcómo te doy acceso\b",
        // German
        r"\bwie (schalte|stelle|aktiviere|deaktiviere) ich (die |den )?(bestätigungen|modus|auto)\b|\bkannst du dich an die (letzte )?(sitzung|session)\b|\bkannst du (mein|das) (terminal|fenster) sehen\b|\bwie gebe ich dir zugriff\b",
        // French
        r"\bcomment (je )?(te donne|t'autorise|active|désactive|change) (accès|le mode)|\btu te souviens de\b|\btu peux voir (mon|ma|le fichier)\b",
        // Portuguese
        r"\bcomo (eu )?(mudo|troco|ativo|desativo) o modo\b|\bvocê consegue ver (o|a|meu|minha)\b|\bvocê lembra (do|de|o que)\b|\bcomo (eu )?te dou acesso\b",
    ])
});

/// Questions about flags or commands of the user's own project, not of the agent.
pub static PLATFORM_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"--?[a-z][a-z-]* (flag |option |switch )?(of|in|for|on) (our|my|the|this|that|your) (\w+ ){0,2}(script|tool|cli|binary|program|app|service|command|build|test|makefile|server)\b",
    )
});

/// Phrases that start a restatement of an earlier request.
pub static RESTATE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(no\b|nope\b|not quite|not what i|that'?s not|still (not|wrong|no)|again\b|once (more|again)|let me (rephrase|try again|be clear)|to be clear|i('ll| will) try (once more|again)|what i (want|meant|mean|need|asked)|you misunderstood|read carefully|i meant|i said|as i said|hmm,? no|wrong\b|otra vez|no me entendiste|te lo repito|lo que necesito|nein\b|noch (ein)?mal|nochmal|du hast mich falsch|ich sage es|non\b|encore une fois|je répète|tu n'as pas compris|não\b|de novo|repetindo|você não entendeu)|\b(what i (meant|mean|want|need) (is|was)|i('m| am) asking for|all i'?m asking|the point is|not something else|that'?s the whole task|i meant)\b",
    )
});

/// Phrases that start a new, different request (a follow-up, not a restatement).
pub static FOLLOW_UP_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(nice|great|good|perfect|cool|thanks|thank you|ok(ay)?,? (that|now|next|great|good|cool)|that works|that'?s right|looks good|lgtm|next\b|now (also|please|let'?s|can)|also\b|one more thing|and while you'?re at it|another thing)|\b(also|as well|next|one more thing|additionally|while you'?re at it)\b",
    )
});

/// A question rather than a request.
pub static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(how|what|why|where|when|which|who|can you explain|explain|walk me through|is there|does|do you know)\b|\?\s*$",
    )
});

/// Closing approval of a satisfied user.
pub static APPROVAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(thanks|thank you|thx|ty|perfect|great|works( now)?|working|all green|looks good|lgtm|merged|ship it|danke|passt|gracias|funciona|merci|c'est bon|valeu|obrigad[oa]|funcionou)\b|👍|🎉|✅",
    )
});
