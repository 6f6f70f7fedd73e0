import App
import Domain
import Fluent
import Foundation
import Services
import SQLKit
import Storage
import Vapor

// Benchmarks whose results go into docs/BENCHMARKS.md:
//   tvms-bench customers …   customer list and search at scale (scripts/bench/customers.sh)
//   tvms-bench sales …       reseller sales per second through the business API (scripts/bench/sales.sh)
//   tvms-bench publish …     publishing a product's catalogue at 1k/10k/20k channels (scripts/bench/publish.sh)
//   tvms-bench epg-parse F   the XMLTV parser alone over a file (scripts/bench/epg.sh)
//   tvms-bench xtream-data … data for the Xtream / M3U / XMLTV benchmark (scripts/bench/xtream.sh)

var arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "customers":
    arguments.removeFirst()
    try await customersBench(arguments)
case "sales":
    arguments.removeFirst()
    try await salesBench(arguments)
case "publish":
    arguments.removeFirst()
    try await publishBench(arguments)
case "epg-parse":
    arguments.removeFirst()
    try epgParseBench(arguments)
case "xtream-data":
    arguments.removeFirst()
    try await xtreamData(arguments)
default:
    print("usage: tvms-bench customers|sales|publish|epg-parse|xtream-data [options]   (see Sources/tvms-bench)")
    exit(2)
}
