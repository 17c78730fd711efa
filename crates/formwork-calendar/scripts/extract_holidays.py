#!/usr/bin/env python3
"""Writes data/cn-holidays.json: China's public holidays and 调休 make-up working days.

The dates come from PyPI's `chinesecalendar` package, which transcribes each year's notice of
the General Office of the State Council (国务院办公厅关于YYYY年部分节假日安排的通知). Run from
the crate directory after `python3 -m pip install chinesecalendar==VERSION`:

    python3 scripts/extract_holidays.py 2025 2026 > data/cn-holidays.json

The package version is recorded in the file, so a later refresh shows what changed and why.
"""

import importlib.metadata
import json
import sys

import chinese_calendar.constants as cc

# The package names holidays in English; people here read them in Chinese.
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def days_of(year):
    days = []
    for kind, table, suffix in (("holiday", cc.holidays, ""), ("workday", cc.workdays, "调休上班")):
        for date, name in table.items():
            if date.year == year:
                days.append({
                    "date": date.isoformat(),
                    "kind": kind,
                    "name": NAMES_ZH.get(name, name) + suffix,
                })
    days.sort(key=lambda d: d["date"])
    return days


def main(years):
    version = importlib.metadata.version("chinesecalendar")
    out = {
        "source": {
            "registry": "PyPI",
            "package": "chinesecalendar",
            "version": version,
            "extracted_by": "crates/formwork-calendar/scripts/extract_holidays.py",
        },
        "years": [
            {
                "year": year,
                "source": f"国务院办公厅关于{year}年部分节假日安排的通知"
                          f" (via PyPI chinesecalendar {version})",
                "days": days_of(year),
            }
            for year in years
        ],
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main([int(y) for y in sys.argv[1:]] or [2025, 2026])
