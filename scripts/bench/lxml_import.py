#!/usr/bin/env python3
"""The importer an operator would otherwise script: lxml.etree.iterparse over the guide (elements
cleared as it goes), programmes written to SQLite with executemany in batches of 2,000 inside
one transaction. Usage: lxml_import.py GUIDE.xml OUT.sqlite"""
import sqlite3
import sys
from datetime import datetime

from lxml import etree

guide, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
con.execute("CREATE TABLE programmes (channel TEXT, start TEXT, stop TEXT, title TEXT, sub_title TEXT, "
            "description TEXT, categories TEXT, episode TEXT, rating TEXT, icon TEXT)")
con.execute("CREATE INDEX programmes_channel ON programmes (channel, start)")


def utc(s):
    return datetime.strptime(s, "%Y%m%d%H%M%S %z").isoformat()


batch, n = [], 0
for _, el in etree.iterparse(guide, events=("end",), tag="programme", resolve_entities=False, huge_tree=True):
    ep = el.find("episode-num[@system='xmltv_ns']")
    rating = el.find("rating/value")
    icon = el.find("icon")
    batch.append((el.get("channel"), utc(el.get("start")), utc(el.get("stop")), el.findtext("title", ""),
                  el.findtext("sub-title", ""), el.findtext("desc", ""), ",".join(c.text or "" for c in el.findall("category")),
                  ep.text if ep is not None else "", rating.text if rating is not None else "", icon.get("src") if icon is not None else ""))
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
    if len(batch) >= 2000:
        con.executemany("INSERT INTO programmes VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
        n += len(batch)
        batch = []
con.executemany("INSERT INTO programmes VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
n += len(batch)
con.commit()
print(n)
