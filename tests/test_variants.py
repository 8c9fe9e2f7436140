"""`tagsim variants`: pairs with evidence, the proposal round trip into `vocab --aliases`, request lines, the DBSCAN
baseline and the evaluation against a truth file."""
import json, sqlite3
import pandas as pd
import pytest
import yaml
from conftest import make_image_scrape, run_cli

@pytest.fixture(scope='module')
def scrape(tmp_path_factory):
    d = tmp_path_factory.mktemp('var')
    db = make_image_scrape(d, 80)
    con = sqlite3.connect(db)
    for i, tags in con.execute('SELECT id, tags_data FROM items').fetchall():  # green squares: 'house' or 'home' by uploader
        new = [dict(t, tag=('house' if i % 2 else 'home') if t['tag'] == 'gruen' else t['tag']) for t in json.loads(tags)]
        con.execute('UPDATE items SET tags_data = ? WHERE id = ?', (json.dumps(new), i))
    con.commit(); con.close()
    run_cli('embed', '--db', db, '--work-dir', d/'w', '--out', d/'emb', '--image-size', '64', '--quiet')
    return d, db

def test_pairs_proposals_and_round_trip(scrape, tmp_path):
    d, db = scrape
    (tmp_path/'truth.json').write_text(json.dumps([['home', 'house'], ['rot', 'blau']]))
    r = run_cli('variants', '--embeddings', d/'emb', '--work-dir', d/'w', '--out', tmp_path/'pairs.csv', '--aliases-out', tmp_path/'p.yaml',
                '--requests-out', tmp_path/'r.txt', '--min-support', '3', '--min-score', '-1', '--evaluate', '--truth', tmp_path/'truth.json', '--json')
    pairs = pd.read_csv(tmp_path/'pairs.csv')
    assert list(pairs.columns[:3]) == ['tag_a', 'tag_b', 'score'] and {'visual', 'context', 'together', 'count_a'} <= set(pairs.columns)
    assert pairs.score.is_monotonic_decreasing
    report = json.loads(r.stdout)['evaluation (test half)']
    assert {'method', 'DBSCAN(eps=0.3)', 'chance precision'} <= set(report)
    proposal = yaml.safe_load((tmp_path/'p.yaml').read_text())
    assert proposal['groups'] and all(g['accept'] is False for g in proposal['groups'])
    assert (tmp_path/'r.txt').read_text().startswith('create alias ')
    summary = json.loads(r.stdout)
    assert summary['proposal groups'] == len(proposal['groups']) and summary['requests written to'] == str(tmp_path/'r.txt')
    home = next(g for g in proposal['groups'] if {'home', 'house'} & ({g['canonical']} | set(g['variants'])))
    home['accept'] = True
    (tmp_path/'reviewed.yaml').write_text(yaml.safe_dump(proposal))
    before = json.loads(run_cli('stats', '--db', db, '--work-dir', d/'w', '--json').stdout)['merged']['distinct_tags']
    after = json.loads(run_cli('stats', '--db', db, '--work-dir', d/'w', '--json', '--aliases', tmp_path/'reviewed.yaml').stdout)['merged']['distinct_tags']
    assert after == before - len(home['variants'])
    run_cli('vocab', '--db', db, '--work-dir', d/'w', '--aliases', tmp_path/'reviewed.yaml', '--min-occurrences', '3', '--out', tmp_path/'v.json')
    tags = json.loads((tmp_path/'v.json').read_text())['tags']
    assert not ({'home', 'house'} <= set(tags))  # merged into one

def test_dbscan_baseline_and_bad_input(scrape, tmp_path):
    d, db = scrape
    run_cli('variants', '--embeddings', d/'emb', '--work-dir', d/'w', '--method', 'dbscan', '--out', tmp_path/'db.csv', '--min-support', '3')
    assert {'cluster', 'score'} <= set(pd.read_csv(tmp_path/'db.csv').columns)
    r = run_cli('variants', '--db', db, '--work-dir', d/'w', '--method', 'dbscan', '--out', tmp_path/'x.csv', check=False)
    assert r.returncode == 2 and 'pass --embeddings' in r.stderr
    r = run_cli('variants', '--db', db, '--work-dir', d/'w', '--out', tmp_path/'x.csv', '--evaluate', '--min-support', '3', check=False)
    assert r.returncode == 2 and '--truth' in r.stderr
    (tmp_path/'bad.json').write_text('{"spelling_pairs": 5}')  # a truth file from elsewhere
    r = run_cli('variants', '--embeddings', d/'emb', '--work-dir', d/'w', '--out', tmp_path/'y.csv', '--evaluate', '--truth', tmp_path/'bad.json',
                '--min-support', '3', check=False)
    assert r.returncode == 2 and 'bad.json: not a pair of tags: 5' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_truth_of_another_scrape_is_refused_not_scored_zero(tmp_path):
    "A truth file none of whose pairs joins two judged tags in the test half gives one line, not P@k and R@k of 0."
    db = make_image_scrape(tmp_path, 40)
    (tmp_path/'truth.json').write_text('[]')
    r = run_cli('variants', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'v.csv',
                '--evaluate', '--truth', tmp_path/'truth.json', '--min-support', '3', check=False)
    assert r.returncode == 2 and 'no pair of two judged tags' in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
    r = run_cli('run', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'job', '--truth', tmp_path/'truth.json', check=False)
    assert r.returncode == 2 and 'no pair of two judged tags' in r.stderr, r.stderr[-2000:]
    assert not (tmp_path/'job'/'run').exists()  # refused before training
