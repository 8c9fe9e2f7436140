"""Normalisation, alias maps and vocabularies: properties, bad input, and the CLI."""
import json
import pytest
from hypothesis import given, settings, strategies as st
from tagsim.normalize import normalize_tag, AliasMap, AliasError
from tagsim.vocabulary import build_vocabulary, Vocabulary, encode_index
from tagsim.index import update_index
from tagsim.storage import write_pr0loader_db
from conftest import pr0_item, make_danbooru_db, run_cli

tag_text = st.text(st.characters(blacklist_categories=('Cs',)), max_size=20)

@settings(max_examples=400, deadline=None)
@given(tag_text)
def test_key_is_idempotent(t):
    k = normalize_tag(t)
    assert normalize_tag(k) == k
    assert k == k.strip() and '  ' not in k and '-' not in k and '_' not in k

words = st.text('abcxyz01', min_size=1, max_size=4)

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(words, words), max_size=12))
def test_alias_resolution_is_stable(pairs):
    try: am = AliasMap(pairs)
    except AliasError: return  # cycles and conflicts are reported, not resolved
    for v, c in am.mapping.items():
        assert am.resolve(c) == c  # a canonical key is final
        assert am.resolve(am.resolve(v)) == am.resolve(v)
    assert AliasMap(list(reversed(pairs))).mapping == am.mapping  # order of the file does not matter

def test_index_stays_correct_with_changed_alias_map(tmp_path):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('home', 0.5)]), pr0_item(2, [('house', 0.5)]), pr0_item(3, [('Home', 0.5)])])
    idx, _ = update_index(db, tmp_path/'idx')
    v1 = build_vocabulary(idx, min_occurrences=1)
    assert dict(zip(v1.tags, v1.counts)) == {'home': 2, 'house': 1}
    v2 = build_vocabulary(idx, min_occurrences=1, aliases=AliasMap([('house', 'home')]))
    assert dict(zip(v2.tags, v2.counts)) == {'home': 3}
    idx2, action = update_index(db, tmp_path/'idx')  # the index itself is unchanged and reused
    assert action == 'unchanged'
    assert dict(zip(build_vocabulary(idx2, min_occurrences=1).tags, build_vocabulary(idx2, min_occurrences=1).counts)) == {'home': 2, 'house': 1}

def test_danbooru_keeps_tags_under_min_confidence(tmp_path):
    db = make_danbooru_db(tmp_path/'d.db', [(i, f'{i:032x}', 'jpg', 'cat solo', 'g') for i in range(1, 4)])
    idx, _ = update_index(db, tmp_path/'idx')
    v = build_vocabulary(idx, min_occurrences=1, min_confidence=0.5)
    assert v.tags == ['cat', 'solo'] and 'not applied' in v.report['low_confidence']['note']

def test_empty_scrape_and_everything_filtered(tmp_path):
    idx, _ = update_index(write_pr0loader_db(tmp_path/'e.db', []), tmp_path/'e')
    v = build_vocabulary(idx)
    assert len(v) == 0 and v.report['training_items'] == 0
    idx, _ = update_index(write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('a', 0.5)])]), tmp_path/'s')
    v = build_vocabulary(idx, min_occurrences=5)
    assert len(v) == 0 and v.report['rare'] == {'tags': 1, 'assignments': 1} and v.report['items_without_tags'] == 1
    enc = encode_index(v, idx)
    assert len(enc['item_id']) == 0 and enc['excluded_item_id'].tolist() == [1]

def test_vocabulary_round_trip_and_bad_file(tmp_path, pr0loader_db):
    idx, _ = update_index(pr0loader_db, tmp_path/'idx')
    v = build_vocabulary(idx, min_occurrences=1, aliases=AliasMap([('hund', 'dog')]))
    p = v.save(tmp_path/'v.json')
    assert Vocabulary.load(p) == v and Vocabulary.load(p).process_tags(['HUND', 'katze']) == v.process_tags(['hund', 'Katze'])
    (tmp_path/'junk.json').write_text('{"tags": []}')
    with pytest.raises(ValueError, match='not a tagsim vocabulary'): Vocabulary.load(tmp_path/'junk.json')

def test_vocab_cli_and_broken_alias_file(pr0loader_db, tmp_path, work):
    out = tmp_path/'v.json'
    r = run_cli('vocab', '--db', pr0loader_db, '--min-occurrences', '2', '--out', out)
    assert json.loads(out.read_text())['tags'] == ['Katze', 'hund'] and 'blocked' in r.stdout
    (tmp_path/'a.yaml').write_text('a: [b\n')
    r = run_cli('vocab', '--db', pr0loader_db, '--aliases', tmp_path/'a.yaml', check=False)
    assert r.returncode == 2 and 'not valid YAML' in r.stderr
    (tmp_path/'c.csv').write_text('x,y\ny,x\n')
    r = run_cli('stats', '--db', pr0loader_db, '--aliases', tmp_path/'c.csv', check=False)
    assert r.returncode == 2 and 'alias cycle' in r.stderr
    r = run_cli('vocab', '--db', pr0loader_db, '--flags', 'nsfx', check=False)
    assert r.returncode == 2 and "unknown content flag 'nsfx'" in r.stderr

def test_plots_cli(pr0loader_db, tmp_path, work):
    run_cli('plots', '--db', pr0loader_db, '--out', tmp_path/'plots')
    names = sorted(p.name for p in (tmp_path/'plots').iterdir())
    assert names == ['ccdf.png', 'confidence.png', 'coverage.png', 'flags.png', 'rank_frequency.png']
    assert all((tmp_path/'plots'/n).read_bytes()[:4] == b'\x89PNG' for n in names)
