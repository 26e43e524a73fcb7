//! Patterns of the built-in judge, in English, Spanish, German, French and Portuguese.
//!
//! Each pattern says who the words are aimed at: frustration *at the agent*, undo
//! *of what the agent did*, confusion *about the agent product*. Task wording that
//! merely contains such words ("fix the broken parser", "implement undo", "add a
//! permission check") is excluded by requiring that direction.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Room for the lazy DFA of a large case-insensitive Unicode pattern: with the
/// default (2 MiB) the big sets keep discarding and rebuilding their states and fall
/// back to the slow engines (measured: a third of the judge's time).
const DFA_CACHE: usize = 64 << 20;

/// A set of patterns, split for speed: those written in ASCII use ASCII word
/// boundaries, so the fast automaton runs on any text (with Unicode boundaries it
/// gives up on the first non-ASCII byte, and the slow engine ran a third of the
/// judge's time); the others (Cyrillic, CJK, accented words) keep Unicode
/// boundaries. An English word next to a non-ASCII letter is the only text the two
/// read differently.
pub struct PatternSet {
    sources: Vec<String>,
    ascii: RegexSet,
    ascii_index: Vec<usize>,
    other: RegexSet,
    other_index: Vec<usize>,
}

impl PatternSet {
    fn new(patterns: &[&str]) -> Self {
        let build = |ps: Vec<String>| {
            RegexSetBuilder::new(ps)
                .dfa_size_limit(DFA_CACHE)
                .build()
                .expect("valid lexicon")
        };
        let (mut ascii, mut ascii_index, mut other, mut other_index) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, p) in patterns.iter().enumerate() {
            if p.is_ascii() {
                ascii.push(format!("(?i){}", p.replace(r"\b", r"(?-u:\b)")));
                ascii_index.push(i);
            } else {
                other.push(format!("(?i){p}"));
                other_index.push(i);
            }
        }
        Self {
            sources: patterns.iter().map(|p| format!("(?i){p}")).collect(),
            ascii: build(ascii),
            ascii_index,
            other: build(other),
            other_index,
        }
    }

    /// Whether any pattern matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.ascii.is_match(text) || self.other.is_match(text)
    }

    /// The indices (in the order written) of the patterns that match.
    pub fn matches(&self, text: &str) -> Vec<usize> {
        // The cheap test first: most turns match nothing, and finding every
        // match costs more than finding one.
        if !self.is_match(text) {
            return Vec::new();
        }
        let mut out: Vec<usize> = self
            .ascii
            .matches(text)
            .into_iter()
            .map(|i| self.ascii_index[i])
            .chain(
                self.other
                    .matches(text)
                    .into_iter()
                    .map(|i| self.other_index[i]),
            )
            .collect();
        out.sort_unstable();
        out
    }

    /// The patterns' sources, as written.
    pub fn patterns(&self) -> &[String] {
        &self.sources
    }
}

fn set(patterns: &[&str]) -> PatternSet {
    PatternSet::new(patterns)
}

fn re(p: &str) -> Regex {
    RegexBuilder::new(&format!("(?i){p}"))
        .dfa_size_limit(DFA_CACHE)
        .build()
        .expect("valid lexicon")
}

/// Frustration or anger aimed at the agent.
pub static FRUSTRATION: LazyLock<PatternSet> = LazyLock::new(|| {
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
        r"(^|[^\w\s]\s*|\b(and|but|so|now|why)\s+)you (keep|constantly|always|continually) (\w+ing)\b.{0,80}(\bstop\b|\bdon'?t\b|\bnever\b|\bnot\b|!|\bagain\b)",
        r"^\W*(no+|nein|non|não|nope)\s*[!?]{2,}",
        r"\bschon wieder\b.{0,40}\b(kaputt|falsch|gelöscht|vergessen|ignoriert|kaputtgemacht)|\b(kaputt|falsch) gemacht\b.{0,20}\bschon wieder\b",
        r"\b(de nuevo|otra vez) (has roto|rompiste|borraste|lo rompiste)\b|\b(has roto|rompiste|borraste) .{0,30}\b(otra vez|de nuevo)\b",
        r"\b(encore|de nouveau) (cassé|supprimé)\b|\btu as (encore|de nouveau) (tout )?(cassé|supprimé)\b",
        r"\b(quebrou|apagou|estragou) .{0,30}\b(de novo|outra vez)\b|\b(de novo|outra vez) (quebrou|apagou)\b",
        r"\b(otra vez lo mismo|me est(á|a)s escuchando|no me haces caso|qué (estás|haces) haciendo)\b",
        r"\b(zum|das|schon das) (dritte|vierte|fünfte|x-te|zigste)n? mal\b|\bwas machst du (da)?\b|\bdu machst (das|es|alles) (schon wieder |immer )?kaputt\b",
        r"\bn'importe quoi\b|\bqu'est-ce que tu fais\b|\btu (ne )?(m')?écoutes? (pas|jamais|rien)\b",
        r"\b(você|vc) (está|tá) ignorando\b|\bignorando tudo\b|\bo que (você|vc) (está|tá) fazendo\b|\bnão (me )?escuta\b",
        // Reproach for doing what was not asked, sarcasm, disbelief, giving up.
        r"\b(did|do) i (ask|say|tell you)( you)? (for|to) (a|an|any|that|this|those|these)\b",
        r"\b(stuff|things|anything|something|files|code) i (didn'?t|did not|never) ask(ed)? (for|about|you to)\b",
        r"\bevery (single )?time i ask\b",
        r"\b(really|very|so|super) helpful,? (thanks|thank you)\b|^\W*oh (great|wonderful|perfect|brilliant|fantastic|nice)\b",
        r"\b(that|this|it)('s| is) (just )?(pointless|hopeless|cheating)\b|\bi'?ll (just )?do it myself\b",
        r"\bdid you (even|actually|ever) (run|test|try|read|check|look|open)\b|\bno,? you (haven'?t|didn'?t|did not|have not)\b",
        r"\bi (literally|explicitly|specifically|clearly|just|already) (said|told you|asked|wrote)\b",
        r"\bhow hard (is|can) (it|this|that)\b|\b(the|exactly the) opposite of what i\b|\bexactly what i (told|asked) you not to\b",
        r"\blmao\b|\blaziest\b|\bwhy on earth\b|^\W*wow\.?\s+(just )?wow\b",
        r"\bpresta(r)? atención\b|\bpresta atenção\b|\bno inventes\b|\bperder el tiempo\b|¿en serio\?",
        r"\bwas soll das\b|\bhör (endlich |doch )?auf\b",
        r"\b(deuxième|troisième|quatrième|énième) fois\b|\btu te moques de moi\b",
        r"\bcara,? eu (falei|disse)\b",
        // General constructions: a verdict on "this/it/you", counted repetition,
        // patience and time lost, instructions ignored, sarcastic thanks.
        r"\b(this|that|it|you|this whole thing)('s| is| are|'re| was)( (just|so|really|totally|completely|getting|becoming|turning|such))? (worthless|absurd|a farce|farcical|unacceptable|embarrassing|a disaster|a mess|clueless|incompetent|hopeless|ridiculous|pathetic|infuriating|maddening|exhausting)\b",
        r"\b(out of your (mind|head)|lost your mind|are you (insane|crazy|nuts|mad|drunk|high|serious))\b",
        r"\b(come on|c'?mon|cmon)\b\s*[.!?,]",
        r"\bliterally the only\b|\bright there in (my|the) (message|prompt|request|instructions)\b|\b(in|from) my (first|last|previous|original|very first) (message|prompt|request)\b",
        r"\b(pero )?qué (haces|estás haciendo)\b|\bmadre mía\b|\bjoder\b|\bhostia\b|勝手に|言いましたよね|って言った(よね|でしょ)",
        r"(?-i:\b(do|DO|did|DID) (NOT|NEVER)\b)",
        r"\bwho (asked|told) you\b|\bwer hat dich (gebeten|gefragt)\b|\bqui(én)? te (pidió|lo pidió|a demandé)\b|\bquem te pediu\b|кто тебя просил",
        r"\b(got to be|must be|are you|you'?re) kidding\b",
        r"\bwhy is (that|this|it) so (hard|difficult|complicated)\b",
        r"\b(can'?t|cannot|don'?t) trust you\b|^\W*oh my (god|gosh)\b|\b(this|that|it)('s| is) getting old\b|\bwhat part of\b.{0,60}\b(unclear|confusing|hard to understand|did you not understand|don'?t you understand)",
        r"\b(do|did|have|are) you (even|actually|ever) (run|test|tested|try|read|check|look|looked|open|understand|listen)\w*\b|\byou (didn'?t|did not|haven'?t|have not) (fix|change|do|solve|test|read|check)(ed)? anything\b",
        r"我没(让|叫|要)你|按我说的(做|来)|照我说的|谁要你",
        r"\bexactly what (nobody|no one) (needed|wanted|asked for)\b|^\W*(wonderful|brilliant|fantastic|lovely|great)[,.!]+ .{0,40}\b(nobody|no one|worse|broke|broken)\b|\b(worse than|beyond) useless\b",
        r"^\W*how many times\b|\bhow many times\W*$|(\b\w{1,8}\.\s+){4,}|\bfor the love of god\b|\bare you trying to\b",
        r"\b(is it|is that|was it|was that) (so|that|really that) (hard|difficult)\b|tan dif[ií]cil|\bso schwer\b|si difficile|tão difícil|\bte (pedí|dije) solo\b|\bi only asked\b|\b(o )?que não (te )?pedi\b|зачем (ты|вы) \w+(л|ла|ли)\b",
        r"\b(tired|sick) (of|with) (this|you|it|that)\b|\b(this|it|we)('s| is| are|'re) going nowhere\b|\bwhy do i (even )?bother\b|\b(my|the) instructions? (was|were|said)\b|\bbe serious\b",
        r"никто не просил|да что ж(е)? такое|\bхватит\b|que no te (pedí|he pedido)|qué cansancio|\bde verdad\W",
        r"\b(seriously|ernsthaft|sérieusement|en serio|sério)\s*[?!]|серь[её]зно\s*[?!]|认真的吗|真的假的|マジで",
        r"\b(que|qué|quel|wie|how) (absurdo|absurde|absurd|ridículo|ridicule|lächerlich|ridiculous)\b|абсурд",
        r"\bevery (single )?time\b.{0,40}\b(break|breaks|broke|fail|fails|wrong|mess|same)\b|\b(happen|happening|break|breaking|failing|fails)\b.{0,15}\bevery (single )?time\b|\b(two|three|four|five|six|\d+|several|many|multiple|so many) times (now|already|in a row)\b|\brepeat(ing)? myself\b|\bover and over\b|\bagain and again\b",
        r"\b(my|lost|losing|out of|running out of|no more) patience\b|\bpatience (is|has) (gone|run out|worn thin|ended)\b",
        r"\b(burn|burning|burned|burnt|wasting|waste|wasted|lost|losing|killing|killed|ruined|ruining) (my|our|the whole|my whole|a whole|an entire|my entire) (\w+ )?(time|day|afternoon|morning|evening|hour|hours|week|night)\b",
        r"\bignor\w* (all |everything |every )?(of )?(my|what i) (instructions|requests|messages|words|said|wrote|asked|told)\b",
        r"\b(nobody|no one|no-one) asked( you)?\b|\b(quit|stop) (editing|changing|touching|rewriting|deleting|adding|breaking|messing|inventing|guessing)\b",
        r"^\W*oh (wonderful|great|perfect|brilliant|fantastic|lovely|nice|joy|cool|good)\b.{0,60}\b(again|broke|broken|fail|failing|worse|nothing|gone|deleted)\b",
        r"\bthanks (so much|a lot|a bunch|for nothing|a ton)\b.{0,10}$",
        r"\b(read|listen|listening|pay attention|understand|look)\w*\b.{0,30}\bat all\b|\bat all\b.{0,30}\b(read|listen|understand)\w*",
        r"\btoo (much|hard|difficult|complicated|complex) for you\b",
        r"\bare you (trolling|messing with|joking|pranking|mocking|screwing with|playing with) (me|with me)\b|\b(trolling|mocking) me\b",
        r"\b(for god'?s sake|pelo amor de deus|por el amor de dios|por dios|um gottes willen|ради бога|господи)\b|天哪|我的天",
        r"\b(stop|quit) (making|inventing) (stuff|things|shit) up\b|\bmaking (stuff|things|shit) up\b|\b(para|pare|deja|dejá) de inventar\b|\bhör auf,? (dinge |sachen )?(zu )?erfinden\b|\barrête d'inventer\b|хватит (выдумывать|придумывать)|别瞎编|别乱改",
        r"\b(nobody|no one|i never) (said|asked|mentioned|wanted) anything (about|like)\b",
        r"^\W*(sigh|\*sigh\*|smh|facepalm|jeez|geez)\b|\bsmh\b",
        r"谁(让|叫)你|我(都|已经)?说(了|过)(只|别|不要)|我说的是只",
        r"\b(do|follow|did) (the thing|what|exactly what) i (requested|asked|said|told you|wrote)\b",
        r"\b(must|do|should|have to|need to) i (really )?(repeat|say it|tell you|explain|write it)\b.{0,20}(again|forever|every|\?)",
        r"\bpérdida de tiempo\b|\b(mil|cien|\d+) veces\b|\bpor qué\b.{0,40}\bcada vez\b|\bjedes (einzelne )?mal (kaputt|falsch|das gleiche|dasselbe)\b|\becht (lächerlich|nervig|unfassbar|peinlich)\b|\b(liest|hörst) du überhaupt\b|\bn'importe quoi\b|\b(lis|écoutes|comprends|lit) même pas\b|\bfois (déjà )?que je (le )?(dis|répète|demande)\b|\bnão presta(s)? atenção\b|\bnão serve pra nada\b|\b(esse|este) erro de novo\b",
        // Chinese
        r"你(能不能|可不可以|就不能)(认真|好好)|(到底|究竟)(有没有|能不能|会不会|在干)|(第[二三四五六几]次|多少次了|说了?(好几|几|多少)遍)|浪费(我的)?时间|^\W*算了|你是不是故意|搞什么|烦死|无语|又(错|搞错|改错|弄错|坏)了",
        // Russian
        r"издеваешься|сколько (можно|раз (тебе )?(повторять|говорить))|бесполезн|(ты|вы) (вообще|хоть|что,?) (читаешь|слушаешь|понимаешь|смотришь|видишь)|опять (сломал|всё сломал|то же самое)|^\W*да какие\b|достал|задолбал|ну сколько",
        // Japanese
        r"何度(も|言えば|言った)|いい加減|ふざけ",
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

/// Interjections of annoyance. Alone they may be about anything ("damn, that's a
/// lot"); with a correction or words to the agent in the same message they are
/// aimed at it.
pub static INTERJECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(damn|dammit|damn it|jeez|geez|bloody|crap|for crying out loud|oh man|verdammt|mist|mann|scheiße|scheisse|joder|carajo|mierda|putain|merde|bordel|porra|caramba|droga|credo)\b|ну ёлки|ёлки|\bблин\b|\bч[её]рт\b|капец|жесть|靠|妈的|我去|服了",
    )
});

/// Sighs and groans: about anything ("ugh, CI is failing again"), so they count only
/// with a correction of the agent in the same message.
pub static GROAN: LazyLock<Regex> = LazyLock::new(|| re(r"\b(ugh+|argh+|omg|meh)\b"));

/// "Why do you keep asking for permission" is confusion about the product, not anger.
pub static FRUSTRATION_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bwhy (do|does|did) you (keep |always )?(ask(ing)?|need(ing)?|request(ing)?) (me )?(for )?(permission|to confirm|confirmation|approval)",
    )
});

/// A request to undo or revert what the agent did.
pub static BACKTRACK: LazyLock<PatternSet> = LazyLock::new(|| {
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
        // An imperative undo at the head of a clause ("... 20%. undo", "revert fs_utils").
        r"(^|[.!?;:]\s*|\b(please|pls|just|then|and|now|let'?s|lets)\s+)(revert|undo|roll ?back)\b( to| back to)?(\s+(the|that|this|those|these|your|my|it|them|all)( of)?)?(\s+[\w./-]+){0,3}\s*([.!,]|$|right now|please|for now|\s(and|then|but|so)\b)",
        r"\bоткат\w*|\bверн(и|уть|ите|ёшь)\b|\bвосстанов\w*|\bvuelve a (poner|dejar)\w*",
        r"(^|[.!?;:,]\s*|\b(please|pls|just|then|and|now|let'?s|lets)\s+)(restore|reinstate|bring back) (the|my|our|your|that|those|all|it)\b",
        r"\b(can|could|shall|should) we (just )?(go back|switch back|return|revert|roll back|undo)\b|\b(let'?s|lets) (just )?(go back|switch back|return to|revert|roll back|undo)\b",
        r"\b(change|put|bring|set|turn|switch|flip|roll|move) (it|that|this|them|those|these|everything|all|the \w+( \w+)?|my \w+|our \w+) back\b",
        r"\b(we'?re|we are|let'?s|i'?m) going back\b|\b(die|den|das) alten? \w+ zurück\b|\bre-?add (that|this|it|the|those|them)\b|\badd (it|that|them|those) back\b|\b(enlève|retire|supprime) (ce|cet|cette|ces|ça)\b|\b(remove|drop|delete|rip out|take out) (the|this|that|those|these) [\w -]{1,30} (entirely|completely|altogether)\b",
        r"\btake (that|this|it|them) off\b|\bdowngrade( \w+)? back\b|\b(previous|old|original|earlier|former) (\w+ ){0,3}back\b|\brestore (what|how) (it|we|they|things) (did|had|was|were|looked)\b",
        r"\bput (\w+ ){1,3}back\b|\b(keep|use) the (old|original|previous|earlier) (version|one|text|copy|code|logo|design|layout|wording|implementation|behaviou?r|approach)\b|\bde volta\b|\bde vuelta\b|\bwieder (her|zurück|rein)\b|обратно|戻して|戻す",
        r"\bgo back to (using |the old |the previous |the original |single |plain )?[\w.-]+( \w+)?\s*([.!,;]|$|\s(and|then|for now|please)\b)",
        r"\b(take|pull|rip) (\w+ ){0,4}out again\b|\b(remove|drop|delete) (it|that|this|them|those|these|the \w+( \w+)?) again\b",
        r"\b(devolve|devolva|devuelve|devuélveme)\b|改回|换回|恢复",
        r"\bannule[rz]? (le|la|les|ce|cet|cette|ces|ta|tes|ton|ça|tout)\b|\b(revierte|deshaz|desfaz|desfaça) (el|la|los|las|lo|o|a|os|as|ese|esa|esse|essa|isso|eso|todo|tudo)\b",
        r"\b(go|switch|get) back to the (\w+ ){0,2}(version|one|implementation|approach|layout|design|code|setup|behaviou?r)\b",
        r"\bbring (it|them|that|those|the \w+( \w+)?) back\b|\bput (every|each|all) \w+ back\b",
        r"\brestore the (old|original|previous|earlier) \w+",
        r"\b(scrap|drop|ditch|undo) the \w+( \w+)? (switch|change|refactor|rename|migration|upgrade|part)\b",
        r"\b(what|how) we had (it )?(before|this morning|yesterday|earlier)\b|\b(liked|preferred) the (old|previous|original|earlier) (one|version|way)\b",
        // General constructions: the earlier state wanted back, the agent's last edit
        // removed, a reset to an earlier commit.
        r"\b(like|as|how) it (was|looked|worked) (before|earlier|originally|at first|this morning|yesterday)\b",
        r"\b(want|give me|get|bring|need|return to|go back to|back to|restore|reinstate)\b.{0,30}\b(earlier|previous|old|original|prior|former|last working) (version|state|code|one|behaviou?r|layout|implementation|file|setup|design)\b",
        r"\b(earlier|previous|old|original|prior|former) (version|state|code|one|file)\b.{0,20}\bback\b",
        r"\b(take out|remove|get rid of|drop|delete|throw away|discard|scrap|ditch|lose) (your|that|this|the|those|these) (last |latest |recent |new )?(edit|change|refactor|refactoring|addition|modification|commit|patch|rewrite)s?\b",
        r"\breset (it |this |that |everything |the file )?(to|back to) (the )?(previous|last|earlier|old|original|prior)\b",
        r"\b(check ?out|restore|recover) (the |this |that )?(\w+ )?(file|files|version) from git\b",
        r"\b(earlier|previous|old|original|prior) (\w+ )?(was|looked|worked|read) (better|nicer|fine|good|cleaner)\b",
        r"\bcomo antes\b|\bwie vorher\b|\bcomme avant\b|\bcomo (estava|era) antes\b|\bkак раньше\b|как раньше|和之前一样|像之前那样",
        // Chinese
        r"(撤销|撤回|回滚|还原)(刚才|之前|上一步|这次|你的|这些|那些)?(的)?(修改|改动|更改|变更|操作)?|恢复(成|到)?(原来|之前|以前|原样)|改回(去|来|原来)",
        // Russian
        r"\b(откати|откатить|откатите|верни|вернуть|верните|восстанови)\b|как было\b",
        // Japanese
        r"元に戻して|取り消して",
        r"\bvuelve a (poner|dejar)\b|\bvolta pro\b",
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
        r"\b(implement|add|support|build|create|write|design|test|fix|adding|implementing|need|an?|the) (an? |the |proper |basic )?(undo|redo|revert|rollback|roll-back|restore)(s|ing)?\b.{0,40}\b(button|migration|feature|functionality|support|command|stack|history|logic|endpoint|script|option|mechanism|editor|in the|for the|to the)\b|\b(undo|redo|revert|rollback|roll-back|restore) (and redo |and undo )?(button|migration|feature|functionality|support|stack|history|endpoint|script|option|mechanism)s?\b|\b(botón|migración|botão|migração|schaltfläche|bouton) (de |para |zum )?(deshacer|revertir|desfazer|reverter|rückgängig|annuler)|(撤销|回滚|还原)(功能|按钮|栈)|(加|实现|支持).{0,8}(撤销|回滚)|кнопк\w* .{0,12}(откат|верн)|(функци|возможност)\w* (отката|возврата)|\b(someone|somebody|he|she|they) (\w+ )?(reverted|rolled back|undid)\b|\b(script|job|tool|command|step|pipeline|process|it) (\w+ )?(should|will|must|would|can|to) (revert|undo|roll ?back)\b|\bso (that )?(we|you|they|i|it) (can|could) (revert|undo|roll ?back)\b",
    )
});

/// Confusion about the agent product: its commands, settings, modes, permissions,
/// memory, context limits and what it can see.
pub static PLATFORM: LazyLock<PatternSet> = LazyLock::new(|| {
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
        r"\b(stop|keep) you from asking\b|\bis there a (setting|option|flag|config|way) (for|to) (that|make you|stop you|let you|have you|turn)",
        r"\bcan you (actually |even |really )?see (the|my) (\w+ ){0,2}(window|screen|browser|terminal|tab|output)\b",
        r"\b(what'?s|what is) the difference between (/|--)|\bdifference between /\w+ and /\w+",
        r"\b(which|what) (sandbox|approval|permission|edit|plan|auto) mode\b|\bwhich (model|one) am i (even )?(talking|speaking) to\b|\buse the other model\b",
        r"\bhow (do|can) i (add|attach|give|show|send|share) (a |the |my )?(file|image|screenshot|folder|picture)s? (to|into|with) (the )?(chat|you|conversation|context)\b",
        r"\bdid (it|the edit|that|my change|the change) (go through|get applied|apply)\b|\bi (pressed|hit) (esc|escape|ctrl)",
        r"\bwhere did (my|the) (\w+ ){0,3}(conversation|chat|session|history|thread)s?\b.{0,30}\bgo\b",
        r"\b(does|did|will) /\w+ (undo|delete|restore|remove|clear|keep|revert|reset)\b|\bwhat does /\w+ do\b",
        // Chinese
        r"(怎么|如何|怎样)(让你|设置你|给你|把(图片|截图|文件)发给你|切换(你|到)|关掉你|配置你)|你(能|可以|能不能)看(到|见)(我|我的)|你还记得|在哪里?设置|上传的(截图|图片|文件)|上下文(满|用完|太长|不够)",
        // Russian
        r"(ты|вы) (помнишь|видишь мой|видишь мою|можешь видеть)|прошл(ой|ую|ый) (сесси|раз|разговор|чат)|(переключить|настроить|отключить|запустить) тебя|как тебе дать доступ|дать тебе доступ",
        // Japanese
        r"(あなた|君)は.{0,10}(見え|覚えて)|どうやって(設定|切り替え)",
        r"\bpuedes ver mi\b|\bcómo (te|le) (doy|paso)\b|\bwie kann ich dir\b|\bkannst du dich (an|erinnern)\b|\btu peux accéder à (internet|mon|ma)\b|\bcomo faço (pra|para) (você|vc)\b|\bvocê consegue (ver|ler|acessar)\b",
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

/// The agent product's own concepts: its modes, permissions and approvals, context
/// and memory, sessions and model, what it can see (attachments, screens, the web),
/// its slash commands, instruction files and tools.
static PLATFORM_CONCEPT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(auto|plan|edit|ask|agent|chat|yolo|read-only|sandbox|approval|permission|architect|normal)[- ]?mode\b|\bmodes?\b|\b(permission|approval|confirmation|confirm)s?\b|\bcontext( window)?\b|\bmemory\b|\b(remember|recall|forgot|forget|forgotten)\b|\b(session|conversation|chat) (history|from|before|yesterday)|\b(other|last|previous|earlier|new) (session|conversation|chat)\b|\bmodel\b|\b(attached|attachment|attachments|i (just )?(uploaded|attached|pasted|sent|dropped) (a|an|the|my|this)|screenshot|paste an image|image i)\b|anex|adjunt|angehängt|anhang|pièce jointe|joint|вложени|прикреп|附件|\b(so|for|that) (you|u) (may|can|could|are allowed to) (read|see|access|open|edit|write|use)\b|\ballowed to (read|see|access|open|use|run)\b|\binterrupt(s|ing)? you\b|\blos(e|ing) the (session|conversation|context|chat)\b|\b(mi|meine?m?|mon|ma|meu|minha|my) (otra |anderen |autre |outro |outra |other )?(terminal|pantalla|bildschirm|écran|tela|navegador|browser|fenster|window)\b|\b(if|when|while) i (close|quit|exit|kill|restart|shut|leave|am away|'m away|switch|change) (the |my |this )?(terminal|window|app|session|laptop|cli|editor|chat|branch|branches|tab)|\byour (changes|edits|todos?|todo lists?|notes|plan|memory|history)\b.{0,40}\b(saved|kept|stored|go|lost|remember)|\b(todo|to-do|task) lists? you\b|\bapprov(e|ed|ing)\b|Erlaubnis|abstellen|联网|\b(saved|stored|kept|gone|lost) (anywhere|somewhere|after the session|between sessions)\b|\bafter the session\b|\b(disk|file ?system|network|internet|root|admin|sudo) access\b|\boutside (the|my|this) (repo|project|folder|directory|workspace)\b|\bmy (env|environment|shell|path|dotfiles|ssh)\b|\benv vars\b|\b(did|do|will) you (actually |just )?(run|execute|apply|save)\b.{0,40}\bor (only|just)\b|\bfrom (the )?disk\b|\b(cached|stale|old) (copy|version) of\b|\bsometimes you\b.{0,60}\bsometimes (you )?(don'?t|do not|not)\b|\bdifference between you\b|\bhow many (files|things|lines|messages|steps|turns|tool calls) (can|do) you\b|\blose track\b|\bmy (git )?credentials\b|(ты|вы) (не )?(видишь|видите|помнишь|помните|можешь видеть)|\b(éditeur|editor|ide)\b|\b(limit|cap|max(imum)?) (on|of|to) (how many |the number of )?(steps|turns|tool calls|messages|tokens)\b|\bhow many (steps|turns|tool calls|messages) (can )?you\b|\bwhy did you stop\b|沙箱|我的电脑|本地|直接执行|\b(is (that|this|it) (a|an) (real|actual|valid|existing) (command|option|flag|setting))\b|\bwhere (does|do) (that|it|this|they) (get )?(saved|stored|go)\b|терминал|экран|终端|屏幕|\bon my (laptop|machine|computer|pc|mac)\b|\bin (a|some|the|your) (container|sandbox|vm|virtual machine)\b|\byou (can|can'?t|cannot|could|couldn'?t|are able to|aren'?t able to) (read|write|see|access|edit|run|open|browse|remember)\b|\b(is (that|this|there) a|which|what) (setting|option|flag|config)\b|\b(i|we) (thought (i|we) )?(allowed|approved|permitted|whitelisted|granted)\b|\b(can|could) you (\w+ ){0,2}(yourself|by yourself|on your own)\b|\bor (do|should|must|will) i (have to |need to )?\w+|\b(instances|copies|two|several|multiple) of you\b|\b(abrir|open|visit|fetch|follow|read) (links?|urls?|web ?pages?|websites?|sites?)\b|\bmemoria\b|\bconversacion|\bconversa(s|ção|ções)?\b|\bпамять|\bсам(а)? (запускать|видеть|читать|открывать|редактировать)|rappelles|souviens|erinnerst|erinnern|recuerdas|acuerdas|lembra|autoris|(ab|aus)schalten|desactiv|désactiv|desativ|отключ|关闭|\b(browse|browsing|internet|the web|online)\b|\b(my|other|second) (terminal|screen|window|browser|tab)\b|(^|\s)/[a-z][a-z-]+\b|\b(agents|claude|gemini)\.md\b|\btools? you\b|\bsandbox\b|\b(shortcut|hotkey|keybinding|key) (to|for|that)\b|\baccess to\b|\bsettings?\.json\b|\btoken limit\b|режим|разрешени|подтвержд|контекст|памят|помнишь|сесси|модел|скриншот|вложени|模式|权限|确认|上下文|记得|会话|模型|截图|附件|上传|モード|権限|コンテキスト|覚えて|セッション|modo\b|permiso|permissão|confirmación|confirmação|contexto|sesión|sessão|modelo|Modus|Berechtigung|Bestätigung|Kontext|Sitzung|Modell|autorisation|contexte|modèle",
    )
});

/// Addressed to the agent (second person) or naming an agent product.
static ADDRESSED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(you|your|yours|u|ur)\b|\b(answering|talking to|speaking to|replying to) me\b|\bt'\w|\bkann man\b|\b(ves|puedes|sabes|recuerdas|tienes|pidas|preguntes|hagas|ejecutas|leas|veas|siehst|kannst|weißt|vois|peux|sais|vês|consegue|lembra|видишь|можешь|помнишь|знаешь)\b|ますか|ですか|\b(claude|codex|gemini|aider|copilot|cursor|openhands|the agent|the assistant|the bot)\b|(^|\s)/[a-z][a-z-]+\b|\b(du|dich|dir|dein|tu|te|toi|ton|ta|tes|você|vc|tú|ti|usted)\b|\b(ты|тебя|тебе|тобой|твой|вы|вас|вам)\b|你|您|あなた|君",
    )
});

/// A question or a statement of not knowing.
static UNSURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\?|？|^\W*(how|why|where|which|what|is there|are there|can|could|do|does|did|is|are|will|would)\b|\b(is (that|this|it) (a|an) (real|actual|valid)|did i make (that|it) up|nothing happened|doesn'?t (do|work) anything)\b|\b(don'?t know|not sure|no idea|confused|unclear|can'?t figure|wondering)\b|^\W*(wie|wo|warum|welche|kannst|cómo|dónde|por qué|puedes|comment|où|pourquoi|est-ce que|como|onde|por que|você consegue|как|где|почему|зачем|можешь|какой)\b|怎么|如何|为什么|哪里|哪个|能不能|是不是|吗|どうやって|なぜ|どこ",
    )
});

/// A request for work phrased as a question ("can you add a session timeout?"):
/// the concept is the task's subject, not the user's confusion.
static TASK_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*((please|pls|ok|okay|now|then|so)[,.]?\s+)?((can|could|would|will) you (please )?)?(add|implement|make|create|build|write|fix|change|update|refactor|remove|rename|move|set up|setup|configure|support|persist|store|save|increase|reduce|limit|expose|introduce|wire|hook|extend|document|test|handle|log|show|display|let|allow)\b",
    )
});

/// Whether a message speaks to the agent (second person, or names an agent product).
pub fn addressed(text: &str) -> bool {
    ADDRESSED.is_match(text)
}

/// Confusion about the agent product by meaning: an agent-product concept, addressed
/// to the agent, in a question or a statement of not knowing, and not a request for
/// work on the user's own product.
pub fn platform_by_concept(text: &str) -> bool {
    if text.split_whitespace().count() > 60 || !UNSURE.is_match(text) || TASK_REQUEST.is_match(text)
    {
        return false;
    }
    // Two different concepts of the product ("the model and approval stuff") say
    // whose settings these are even when the agent is not addressed.
    let concepts: std::collections::HashSet<String> = PLATFORM_CONCEPT
        .find_iter(text)
        .map(|m| m.as_str().to_lowercase())
        .collect();
    !concepts.is_empty() && (ADDRESSED.is_match(text) || concepts.len() >= 2)
}

/// Questions about flags or commands of the user's own project, not of the agent.
pub static PLATFORM_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(our|my|their|your) (bot|app|model|agent|assistant|service|llm|chatbot|prompt)s?\b|--?[a-z][a-z-]* (flag |option |switch )?(of|in|for|on) (our|my|the|this|that|your) (\w+ ){0,2}(script|tool|cli|binary|program|app|service|command|build|test|makefile|server)\b",
    )
});

/// Words that correct the agent's last attempt: the user says it got the request
/// wrong and says it again ("no, ...", "I mean ...", "not a button, ...", "that's not
/// it", "不是…", "я же говорю", "違います").
pub static CORRECTION_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?x)
 ^\W*(no+|nope|nah|not|still|again|wrong|hmm,?\s*no|that'?s\s+not|thats\s+not|not\s+quite)\b
|\b(i\s+mean|i\s+meant|what\s+i\s+(want|meant|mean|need|asked|said|'?m\s+after|am\s+after)|i'?m\s+(talking|asking)\s+about|all\s+i'?m\s+asking|as\s+i\s+said|you\s+misunderstood|read\s+(it\s+)?again|to\s+be\s+clear|let\s+me\s+rephrase)\b
|\b(it'?s|its|that'?s|thats|they'?re|this\s+is|that\s+is|it\s+is)\s+not\b
|\b(isn'?t|is\s+not|aren'?t|wasn'?t)\s+(the|what|about|it)\b
|\bnot\s+(a|an|the|about|only|just)\s+\w+|[,;.]\s*(not|no|nicht|pas|não|nao|не)\s+\w+|\bnot\b.{0,40}\bat\s+all\b|^\W*(don'?t|do\s+not|stop)\s+(add|use|change|make|put|create|write|show|do|touch|remove|delete|rename)\b|^\W*i\s+(don'?t|do\s+not|didn'?t|did\s+not)\s+(want|need|mean|ask)
|\bstill\s+(not|wrong|the\s+same|only|broken|fails?|failing|doesn'?t|does\s+not|no)\b
|\b\w+\s+means\s+|\bthe\s+point\s+is\b|\b(the\s+whole|my)\s+point\b|\bonce\s+(again|more)\b|\bto\s+clarify\b|\bin\s+other\s+words\b|\bput\s+(it\s+|that\s+)?differently\b|\bhere\s+is\s+what\s+i\s+(want|need|mean)|\bmy\s+meaning\b|\bthat'?s\s+all\s+i\s+(want|need|asked)|falsch\s+verstanden|missverstanden
|^\W*(不是|不对|不行|错了|还是不|还是没|我说的是|我的意思是|你没理解|你没明白|你没听懂|我要的是)
|(而不是|不是\S{0,12}[，,。]?\s*是|是\S{1,15}[，,]\s*不是|我说的是|我的意思是|你没理解|你没明白|我要的是)
|(違います|じゃなくて|ではなく|そうじゃない)
|^\W*(нет|не\s+то|не\s+так|опять\s+не|ты\s+не\s+понял|я\s+же\s+говорю)
|(не\s+надо|не\s+то\b|\sа\s+не\s|ты\s+не\s+понял|я\s+же\s+(говорю|сказал|просил)|имел\s+в\s+виду|ещё\s+раз|еще\s+раз)
|^\W*(no|que\s+no|nada\s+de)\b|\b(no\s+me\s+entendiste|lo\s+que\s+quiero|me\s+refiero|quiero\s+decir|no\s+es\s+eso|sin\s+preguntar|otra\s+vez)\b
|^\W*(nein|nicht)\b|\b(ich\s+meine|ich\s+meinte|nicht\s+(die|der|das|den|nur)|sondern|noch\s*mal)\b
|^\W*(non|pas)\b|\b(je\s+veux\s+dire|pas\s+(un|une|le|la|les)|ce\s+n'est\s+pas|encore\s+une\s+fois|tu\s+n'as\s+pas\s+compris)\b
|^\W*(não|nao)\b|\b(eu\s+quis\s+dizer|não\s+quero|não\s+é|mas\s+não|você\s+não\s+entendeu)\b")
});

/// The user gives up on the request: not a restatement of it ("forget it", and
/// an opening that drops it: "fine, leave it ... instead", "ok, skip that").
pub static GIVE_UP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(forget it|never ?mind|i give up|i'?ll (just )?do it myself|i'?m done|let'?s stop|olvídalo|vergiss es|laisse tomber|esquece)\b|^\W*(算了|забей|ладно,? сам)|^\W*(fine|ok(ay)?|alright|whatever|ugh|bueno|vale|na gut|egal|bon)[,.!]*\s+(then[,.]?\s+)?(just\s+)?(leave|skip|drop|scrap|ditch|déjalo|lass es|laisse)\b",
    )
});

/// An answer typed to an agent's own confirmation prompt (aider logs them as user
/// lines: `Add file to the chat? (Y)es/(N)o/... [Yes]: y`), and slash commands: not
/// requests.
pub static NOT_A_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\(Y\)es/\(N\)o|^\s*/[a-z][a-z-]*(\s|$)|^\W*(y|n|yes|no|ok|continue|go on|go ahead|keep going|proceed|sí|да|好|继续)\W*$",
    )
});

/// Openings that announce a new request whatever follows ("ok, next thing: ...",
/// "now something else.", "nice. now ...").
pub static NEW_REQUEST_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*((ok(ay)?|nice|great|good|cool|perfect|thanks|alright)[,.!]*\s+)?(now,|next[,:]|next thing|now something else|something else|new task|new request|another request|separate request|another thing|one more thing|next:|different (topic|question|thing|request)|unrelated|moving on|switching gears|on another note|change of topic|by the way|btw|now (also|let'?s|add|do|please)|also\b)|^\W*(nice|great|good|cool|perfect|thanks|thank you)[,.!]+\s+(now|next|also|can you also|could you also)\b",
    )
});

/// Openings of a question rather than a request.
pub static QUESTION_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(how|what|why|where|when|which|who|can you explain|explain|walk me through|is there|does|do you know)\b",
    )
});

/// Phrases that start a new, different request (a follow-up, not a restatement).
pub static FOLLOW_UP_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(nice|great|good|perfect|cool|thanks|thank you|ok(ay)?,? (that|now|next|great|good|cool|then|but now)|that works|that'?s right|looks (good|right)|lgtm|next\b|now (also|please|let'?s|can|add|do)|also\b|and\b|one more thing|and while you'?re at it|another thing|好的|谢谢|再|顺便|отлично|спасибо|теперь|genial|perfecto|ahora|super|danke|jetzt|merci|parfait|ótimo|valeu|obrigad)|^\W*(\w+\W+){0,3}(also|additionally|next)\b|\b(as well|too)\W*$|\b(one more thing|while you'?re at it|same fix|but now|то же самое|lo mismo)\b",
    )
});

/// Closing approval of a satisfied user.
pub static APPROVAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(thanks|thank you|thx|ty|perfect|great|works( now)?|working|all green|looks good|lgtm|merged|ship it|danke|passt|gracias|funciona|merci|c'est bon|valeu|obrigad[oa]|funcionou)\b|👍|🎉|✅",
    )
});

/// The source of every pattern above, for tests that check what the lexicon says
/// (e.g. that it shares no phrase with the generator's templates).
pub fn pattern_sources() -> Vec<String> {
    let mut out = Vec::new();
    for set in [&*FRUSTRATION, &*BACKTRACK, &*PLATFORM] {
        out.extend(set.patterns().iter().cloned());
    }
    for re in [
        &*FRUSTRATION_EXCLUDE,
        &*INTERJECTION,
        &*GROAN,
        &*BACKTRACK_TASK,
        &*PLATFORM_EXCLUDE,
        &*PLATFORM_CONCEPT,
        &*ADDRESSED,
        &*UNSURE,
        &*TASK_REQUEST,
        &*CORRECTION_CUE,
        &*GIVE_UP,
        &*NOT_A_REQUEST,
        &*NEW_REQUEST_OPENING,
        &*QUESTION_OPENING,
        &*FOLLOW_UP_CUE,
        &*APPROVAL,
    ] {
        out.push(re.as_str().to_string());
    }
    out
}
