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

var arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "customers":
    arguments.removeFirst()
    try await customersBench(arguments)
case "sales":
    arguments.removeFirst()
    try await salesBench(arguments)
default:
    print("usage: tvms-bench customers|sales [options]   (see Sources/tvms-bench)")
    exit(2)
}
