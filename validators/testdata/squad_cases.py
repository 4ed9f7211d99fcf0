"""Generates squad_cases.jsonl: expected outputs of SQuAD's official
normalize_answer / exact match / F1 (evaluate-v2.0.py, copied verbatim below)
for hand-written and random inputs. TestSQuADOfficial checks synth against it.

    python3 squad_cases.py > squad_cases.jsonl
"""
import collections
import json
import random
import re
import string


# --- from evaluate-v2.0.py (official SQuAD 2.0 evaluation script) ---
def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""
    def remove_articles(text):
        regex = re.compile(r'\b(a|an|the)\b', re.UNICODE)
        return re.sub(regex, ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()
    return white_space_fix(remove_articles(remove_punc(lower(s))))


def get_tokens(s):
    if not s:
        return []
    return normalize_answer(s).split()


def compute_exact(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1
# --- end of the official code ---


def score(pred, golds):
    # As evaluate-v2.0.py's get_raw_scores: drop golds that normalise to
    # nothing unless all do, then take the max over golds.
    gold_answers = [a for a in golds if normalize_answer(a)]
    if not gold_answers:
        gold_answers = ['']
    em = max(compute_exact(a, pred) for a in gold_answers)
    f1 = max(compute_f1(a, pred) for a in gold_answers)
    return em, f1


HAND = [
    ("The Eiffel Tower", ["the eiffel tower"]),
    ("Eiffel tower.", ["The Eiffel Tower"]),
    ("an apple a day", ["apple day"]),
    ("A", ["the"]),
    ("", [""]),
    ("", ["the", "Paris"]),
    ("Paris", ["", "the"]),
    ("theatre", ["atheist"]),
    ("don't stop", ["dont stop"]),
    ("don’t stop", ["dont stop"]),
    ("“Paris”", ["Paris"]),
    ("«the» end", ["end"]),
    ("café au lait", ["Cafe au lait"]),
    ("CAFÉ", ["café"]),
    ("Ünïcode ÀÉÎ", ["ünïcode àéî"]),
    ("éa an", ["éa"]),
    ("the_a", ["the a"]),
    ("a\u00a0b\u2003the\u3000c", ["b c"]),
    ("北京 the 東京", ["北京 東京"]),
    ("北京の the", ["北京の"]),
    ("ΟΔΟΣ", ["οδος"]),
    ("ΟΔΟΣ ΣΑ", ["οδοσ σα"]),
    ("İstanbul", ["istanbul"]),
    ("x\x1cy", ["x y"]),
    ("Christopher Lloyd", ["Christopher Allen Lloyd"]),
    ("Lloyd", ["Christopher Allen Lloyd", "Doc Brown"]),
    ("the the the", ["the"]),
    ("1,000 km/h", ["1000 kmh"]),
    ("U.S.A.", ["usa"]),
    ("rock-n-roll", ["rocknroll"]),
    ("Settings > Account", ["settings account"]),
    ("a b a b c", ["a b c c"]),
    ("2.45 billion", ["2.45Â\u00a0billion"]),
    ("Ａ the ａ", ["ａ ａ"]),
    ("₂a", ["₂"]),
    ("the²", ["²"]),
    ("The Beatles: 'Hey Jude' (1968)", ["hey jude"]),
]

ALPHABET = list("aAtThHeEnN  .,'-_!") + list("éÉΣσ北’—«» \u00a0\u2003²İ") + list(string.punctuation)


def random_cases(n, seed=7):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        pred = ''.join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 24)))
        golds = [''.join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 16)))
                 for _ in range(rnd.randint(1, 3))]
        out.append((pred, golds))
    return out


if __name__ == '__main__':
    for pred, golds in HAND + random_cases(400):
        em, f1 = score(pred, golds)
        print(json.dumps({
            "pred": pred, "golds": golds,
            "norm_pred": normalize_answer(pred),
            "norm_golds": [normalize_answer(g) for g in golds],
            "em": em, "f1": f1,
        }, ensure_ascii=False))
