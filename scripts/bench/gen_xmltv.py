#!/usr/bin/env python3
"""Writes a synthetic XMLTV guide of about SIZE_MB megabytes: CHANNELS channels, programmes of
20–90 minutes back to back from today 00:00 UTC for as many days as the size needs, with
realistic text (titles, sub-titles, descriptions of 2–4 sentences, categories, episode numbers,
ratings, icons). Deterministic (fixed seed). Usage: gen_xmltv.py SIZE_MB OUT.xml [CHANNELS]"""
import random
import sys
import time

size_mb, out = int(sys.argv[1]), sys.argv[2]
channels = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
rnd = random.Random(20261125)
words = ("harbour night valley river city morning news weather report live special story family "
         "kitchen garden travel history science nature music concert football match final season "
         "island mountain winter summer secret journey house market island coast bridge light").split()
cats = ["News", "Documentary", "Sports", "Drama", "Comedy", "Kids", "Movie", "Music", "Magazine", "Series"]
target = size_mb * 1024 * 1024
start = int(time.time()) // 86400 * 86400


def t(ts):
    return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(ts))


def sentence():
    n = rnd.randint(8, 16)
    s = " ".join(rnd.choice(words) for _ in range(n))
    return s[0].upper() + s[1:] + "."


with open(out, "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<tv generator-info-name="tvms-bench">\n')
    for c in range(1, channels + 1):
        f.write(f'  <channel id="ch{c}.bench.example">\n    <display-name lang="en">Bench Channel {c}</display-name>\n'
                f'    <icon src="https://img.example/ch{c}.png"/>\n  </channel>\n')
    written = f.tell()
    clocks = [start] * (channels + 1)
    ep = 0
    while written < target:
        for c in range(1, channels + 1):
            length = rnd.choice([20, 30, 30, 45, 60, 60, 90]) * 60
            a, b = clocks[c], clocks[c] + length
            clocks[c] = b
            ep += 1
            title = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 4))).title()
            desc = " ".join(sentence() for _ in range(rnd.randint(2, 4)))
            block = (f'  <programme start="{t(a)}" stop="{t(b)}" channel="ch{c}.bench.example">\n'
                     f'    <title lang="en">{title} &amp; Co</title>\n    <sub-title>Part {ep % 7 + 1}</sub-title>\n'
                     f'    <desc lang="en">{desc}</desc>\n    <category>{rnd.choice(cats)}</category>\n'
                     f'    <icon src="https://img.example/p/{ep}.jpg"/>\n'
                     f'    <episode-num system="xmltv_ns">{ep % 9}.{ep % 24}.0/1</episode-num>\n'
                     f'    <episode-num system="onscreen">S{ep % 9 + 1:02d}E{ep % 24 + 1:02d}</episode-num>\n'
                     f'    <rating system="VCHIP"><value>TV-PG</value></rating>\n  </programme>\n')
            f.write(block)
            written += len(block.encode())
            if written >= target:
                break
    f.write("</tv>\n")
