import App
import Domain
import Fluent
import Foundation
import Services
import SQLKit
import Storage
import Vapor

// Customer list and search at scale (issue: CRM core). Loads N customers straight into the
// customers table of a fresh database, then times the service calls the console and the REST API
// make: the first page, a deep page (keyset), a selective search and a broad name search.
//
//   tvms-bench customers [--sizes 10000,1000000] [--postgres postgres://…/tvms_bench_{size}] [--runs 200]
//
// Prints a Markdown table; scripts/bench/customers.sh runs it on SQLite and PostgreSQL.

struct Options {
    var sizes = [10_000, 1_000_000]
    var postgres: String?
    var runs = 200
}

func parseCustomers(_ arguments: [String]) -> Options {
    var o = Options()
    var args = arguments
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--sizes": o.sizes = (args.isEmpty ? "" : args.removeFirst()).split(separator: ",").compactMap { Int($0) }
        case "--postgres": o.postgres = args.isEmpty ? nil : args.removeFirst()
        case "--runs": o.runs = Int(args.isEmpty ? "" : args.removeFirst()) ?? 200
        default: print("unknown option \(a)"); exit(2)
        }
    }
    return o
}

let lastNames = ["de vries", "jansen", "bakker", "visser", "smit", "meijer", "mulder", "bos", "vos", "peters", "hendriks", "dekker",
                 "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci", "muller", "schmidt", "schneider",
                 "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann", "martin", "bernard", "dubois", "thomas",
                 "robert", "richard", "petit", "durand", "leroy", "moreau", "garcia", "fernandez", "gonzalez", "rodriguez", "lopez",
                 "martinez", "sanchez", "perez", "gomez", "smith", "johnson", "williams", "brown", "jones", "miller", "davis", "wilson",
                 "anderson", "taylor", "moore", "jackson", "white", "harris", "clark", "lewis", "young", "walker", "hall", "allen",
                 "king", "wright", "scott", "green", "baker", "adams", "nelson", "hill", "campbell", "mitchell", "roberts", "carter",
                 "phillips", "evans", "turner", "torres", "parker", "collins", "edwards", "stewart", "morris", "murphy", "cook",
                 "rogers", "morgan", "peterson", "cooper", "reed", "bailey", "bell", "kelly"]
let firstNames = ["anna", "marco", "lena", "jan", "eva", "luca", "sofia", "noah", "emma", "liam", "mia", "lucas", "julia", "finn",
                  "sara", "david", "laura", "tom", "nina", "paul", "lisa", "max", "elena", "ben", "clara", "leo", "ida", "sam", "zoe", "omar"]

/// Inserts `count` customers in multi-row statements inside transactions.
func load(_ app: Application, deploymentID: UUID, productID: Int, planID: Int, count: Int, passwordHash: String) async throws {
    let columns = ["deployment_id", "created_at", "updated_at", "title", "first_name", "last_name", "street", "zip", "city", "state", "country",
                   "phone", "mobile", "email", "facility", "comment", "login", "password_hash", "custom_login", "product_id", "plan_id",
                   "currency", "status", "disabled", "start_from_first_login", "starts_at", "expires_at", "renewal_interval",
                   "wallet_balance", "search_first", "search_last", "search_email", "search_phone", "mapping_id"]
    let now = Date()
    let batch = 500
    var done = 0
    while done < count {
        let n = min(batch * 20, count - done)
        let offset = done
        try await app.db.transaction { db in
            var i = 0
            while i < n {
                let rows = min(batch, n - i)
                var insert = db.sql.insert(into: "customers").columns(columns)
                for k in 0..<rows {
                    let seq = offset + i + k
                    let first = firstNames[seq % firstNames.count], last = lastNames[(seq / firstNames.count) % lastNames.count]
                    let email = "\(first).\(last.replacingOccurrences(of: " ", with: ""))\(seq)@example.com"
                    let mobile = "+316\(String(format: "%08d", seq))"
                    let expires = now.addingTimeInterval(Double((seq % 400) - 100) * 86_400)
                    let status = expires > now ? "active" : "expired"
                    let values: [any Encodable & Sendable] = [deploymentID, now, now, "", first.capitalized, last.capitalized, "Main street \(seq % 500)", "1000AA",
                                                              "Amsterdam", "", "NL", "", mobile, email, "", "", String(10_000_000 + seq), passwordHash, false,
                                                              productID, planID, "EUR", status, false, false, now, expires, 1, Int64(0), first, last,
                                                              email, mobile, "bill-\(seq)"]
                    insert = insert.values(values.map { SQLBind($0) })
                }
                try await insert.run()
                i += rows
            }
        }
        done += n
        FileHandle.standardError.write(Data("\r  loaded \(done)/\(count)".utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    if app.db.dialect == .postgres { try await app.db.sql.raw("ANALYZE customers").run() } else { try await app.db.sql.raw("ANALYZE").run() }
}

struct Stat { var p50: Double; var p95: Double }

func measure(runs: Int, _ body: (Int) async throws -> Void) async throws -> Stat {
    for i in 0..<min(20, runs) { try await body(i) } // warm caches
    var times: [Double] = []
    for i in 0..<runs {
        let t = DispatchTime.now().uptimeNanoseconds
        try await body(i)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
    }
    times.sort()
    return Stat(p50: times[times.count / 2], p95: times[min(times.count - 1, Int(Double(times.count) * 0.95))])
}

func run(database: AppConfig.DatabaseTarget, label: String, size: Int, runs: Int) async throws -> [String: Stat] {
    var env = Environment.production
    env.arguments = ["tvms-bench"]
    let app = try await Application.make(env)
    app.logger.logLevel = .error
    do {
        try await configure(app, config: AppConfig(database: database, inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: 4, nodeName: "bench"))
        try await app.autoMigrate()
        _ = try await DemoData.load(app.serviceEnvironment)
        let d = try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()!
        let product = try await ProductModel.query(on: app.db).filter(\.$name == "Basic Monthly").first()!
        let plan = try await PaymentPlanModel.query(on: app.db).filter(\.$productID == product.id!).first()!
        let started = Date()
        try await load(app, deploymentID: d.id!, productID: product.id!, planID: plan.id!, count: size, passwordHash: try Bcrypt.hash("benchmark", cost: 4))
        FileHandle.standardError.write(Data("  \(label) \(size): loaded in \(Int(Date().timeIntervalSince(started))) s\n".utf8))
        let svc = app.serviceEnvironment
        let actor = Principal.system("bench")
        let maxID = try await app.db.sql.raw("SELECT MAX(id) AS m FROM customers").first()!.decode(column: "m", as: Int.self)
        var results: [String: Stat] = [:]
        results["list page 1"] = try await measure(runs: runs) { _ in
            _ = try await CustomerService.list(svc, actor: actor, deploymentID: d.id!, query: CustomerService.Query())
        }
        results["deep page (keyset, 90% down)"] = try await measure(runs: runs) { i in
            var q = CustomerService.Query()
            q.beforeID = max(100, maxID / 10 - i)
            _ = try await CustomerService.list(svc, actor: actor, deploymentID: d.id!, query: q)
        }
        results["search: login / e-mail / phone (selective)"] = try await measure(runs: runs) { i in
            var q = CustomerService.Query()
            let seq = (i * 7919) % size
            q.search = [String(10_000_000 + seq), "+316\(String(format: "%08d", seq))", "\(firstNames[seq % firstNames.count]).x"][i % 3]
            _ = try await CustomerService.list(svc, actor: actor, deploymentID: d.id!, query: q)
        }
        results["search: last name (broad, 1% of customers match)"] = try await measure(runs: runs) { i in
            var q = CustomerService.Query()
            q.search = lastNames[i % lastNames.count]
            _ = try await CustomerService.list(svc, actor: actor, deploymentID: d.id!, query: q)
        }
        try await app.asyncShutdown()
        return results
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

func customersBench(_ arguments: [String]) async throws {
let options = parseCustomers(arguments)
var databases: [(String, AppConfig.DatabaseTarget)] = []
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-bench-\(UUID().uuidString)")
databases.append(("SQLite", .sqlite(path: dir.appendingPathComponent("tvms.sqlite").path)))
if let pg = options.postgres { databases.append(("PostgreSQL", .postgres(url: pg))) }

print("| database | operation | " + options.sizes.map { "p50 / p95 at \($0)" }.joined(separator: " | ") + " | p95 ratio largest/smallest |")
print("|---|---|" + options.sizes.map { _ in "---|" }.joined() + "---|")
for (label, target) in databases {
    var bySize: [[String: Stat]] = []
    for size in options.sizes {
        // A fresh database per size: a new SQLite file, or the PostgreSQL database named by the
        // --postgres URL template with {size} replaced (scripts/bench/customers.sh creates them).
        var sized = target
        if case .sqlite(let path) = target { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        if case .postgres(let template) = target {
            sized = .postgres(url: template.replacingOccurrences(of: "{size}", with: String(size)))
        }
        bySize.append(try await run(database: sized, label: label, size: size, runs: options.runs))
    }
    for op in bySize[0].keys.sorted() {
        let cells = bySize.map { String(format: "%.2f / %.2f ms", $0[op]!.p50, $0[op]!.p95) }
        let ratio = bySize.last![op]!.p95 / max(bySize.first![op]!.p95, 0.001)
        print("| \(label) | \(op) | " + cells.joined(separator: " | ") + String(format: " | %.2f× |", ratio))
    }
}
try? FileManager.default.removeItem(at: dir)
}
