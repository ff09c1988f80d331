#!/usr/bin/env python3
"""Generate a fictitious household roster for the 二(二)4 visit template (Schedules/visits.toml).

Every row pairs one 建档立卡贫困户 with one 结对帮扶干部 (cadre) in one of the 13 townships of
Schedules/townships.toml. Names and ids are invented (plausible pinyin, generic village names): the roster
is test and benchmark data, not a record of real people.

    scripts/gen-roster.py OUT.csv                  # 55,166 households (the plan's count), seed 20180913
    scripts/gen-roster.py --count 40 OUT.csv       # a small roster (Schedules/rosters/households-sample.csv)
    scripts/gen-roster.py --seed 7 - | head        # "-" writes to standard output

The output is a pure function of --count, --seed and townships.toml. Columns (header row first):
household_id, household_name, county_id, county_role, township_id, township_name, township_role, village,
cadre_id, cadre_name, cadre_account, cadre_unit.
"""
import argparse
import csv
import os
import random
import sys
import tomllib

PLAN_HOUSEHOLDS = 55166          # 建档立卡贫困户 of 东川区 and 禄劝县 (plan, first paragraph)
DEFAULT_SEED = 20180913          # the plan's date
SURNAMES = [('张', 'zhang'), ('王', 'wang'), ('李', 'li'), ('赵', 'zhao'), ('陈', 'chen'), ('刘', 'liu'),
            ('杨', 'yang'), ('黄', 'huang'), ('周', 'zhou'), ('吴', 'wu'), ('徐', 'xu'), ('孙', 'sun'),
            ('马', 'ma'), ('朱', 'zhu'), ('胡', 'hu'), ('郭', 'guo'), ('何', 'he'), ('罗', 'luo'),
            ('高', 'gao'), ('普', 'pu'), ('者', 'zhe'), ('段', 'duan'), ('龙', 'long'), ('沙', 'sha')]
GIVEN = [('建华', 'jianhua'), ('明', 'ming'), ('丽娟', 'lijuan'), ('海涛', 'haitao'), ('静', 'jing'),
         ('洋', 'yang'), ('帆', 'fan'), ('志强', 'zhiqiang'), ('敏', 'min'), ('刚', 'gang'),
         ('文华', 'wenhua'), ('光明', 'guangming'), ('树林', 'shulin'), ('金花', 'jinhua'),
         ('正荣', 'zhengrong'), ('国富', 'guofu'), ('德兴', 'dexing'), ('秀英', 'xiuying'),
         ('春梅', 'chunmei'), ('有才', 'youcai'), ('成', 'cheng'), ('艳', 'yan'), ('勇', 'yong'), ('军', 'jun')]
VILLAGES = [('新村', 'xincun'), ('中河村', 'zhonghe'), ('红岩村', 'hongyan'), ('团结村', 'tuanjie'),
            ('光明村', 'guangming'), ('向阳村', 'xiangyang'), ('平安村', 'pingan'), ('新民村', 'xinmin'),
            ('河口村', 'hekou'), ('大村', 'dacun'), ('小河村', 'xiaohe'), ('箐口村', 'qingkou'),
            ('坪子村', 'pingzi'), ('凹子村', 'aozi'), ('营盘村', 'yingpan'), ('松林村', 'songlin')]
COLUMNS = ['household_id', 'household_name', 'county_id', 'county_role', 'township_id', 'township_name',
           'township_role', 'village', 'cadre_id', 'cadre_name', 'cadre_account', 'cadre_unit']


def load_townships(schedules):
    with open(os.path.join(schedules, 'townships.toml'), 'rb') as f:
        doc = tomllib.load(f)
    counties = {c['id']: c for c in doc['county']}
    return doc['township'], counties


def generate(count, seed, townships, counties):
    rng = random.Random(seed)
    # a fixed share per township (fictitious), villages per township, and the units that send cadres
    weights = [rng.randint(3, 9) for _ in townships]
    villages = {t['id']: rng.sample(VILLAGES, 8) for t in townships}
    units = {t['id']: t['existing_units'] + t['added_units'] for t in townships}
    per_township = [0] * len(townships)
    for i in rng.choices(range(len(townships)), weights=weights, k=count):
        per_township[i] += 1
    used_accounts = {}
    rows = []
    for t, n in zip(townships, per_township):
        seq, left = 0, n
        while left > 0:
            pairs = min(left, rng.randint(3, 5))        # one cadre pairs with 3 to 5 households
            left -= pairs
            (sn, spy), (gn, gpy) = rng.choice(SURNAMES), rng.choice(GIVEN)
            base = spy + gpy
            k = used_accounts.get(base, 0) + 1
            used_accounts[base] = k
            account = base if k == 1 else f'{base}{k}'
            unit = rng.choice(units[t['id']])
            for _ in range(pairs):
                seq += 1
                vname, vpy = rng.choice(villages[t['id']])
                (hs, _), (hg, _) = rng.choice(SURNAMES), rng.choice(GIVEN)
                rows.append({
                    'household_id': f"{t['id']}-{vpy}-{seq:05d}",
                    'household_name': f'{hs}{hg}户',
                    'county_id': t['county'],
                    'county_role': counties[t['county']]['role'],
                    'township_id': t['id'],
                    'township_name': t['name'],
                    'township_role': t['role'],
                    'village': vname,
                    'cadre_id': f'cadre-{account}',
                    'cadre_name': f'{sn}{gn}',
                    'cadre_account': account,
                    'cadre_unit': unit,
                })
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('out', help='output CSV path, or - for standard output')
    ap.add_argument('--count', type=int, default=PLAN_HOUSEHOLDS, help='households (default %(default)s)')
    ap.add_argument('--seed', type=int, default=DEFAULT_SEED, help='random seed (default %(default)s)')
    ap.add_argument('--schedules', default=os.path.join(here, '..', 'Schedules'),
                    help='directory holding townships.toml (default: the repository Schedules/)')
    args = ap.parse_args()
    if args.count < 0:
        ap.error('--count must not be negative')
    townships, counties = load_townships(args.schedules)
    rows = generate(args.count, args.seed, townships, counties)
    out = sys.stdout if args.out == '-' else open(args.out, 'w', encoding='utf-8', newline='')
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator='\n')
    w.writeheader()
    w.writerows(rows)
    if out is not sys.stdout:
        out.close()
    cadres = len({r['cadre_id'] for r in rows})
    print(f'gen-roster: {len(rows)} households, {cadres} cadres, seed {args.seed}', file=sys.stderr)


if __name__ == '__main__':
    main()
