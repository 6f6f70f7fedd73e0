import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// `tvms` subcommands. Each builds on the app that `configure` made, exactly like the server,
/// except the `standaloneCommandNames`, which `main` runs without `configure`.
public func registerCommands(_ app: Application) {
    app.asyncCommands.use(TVMSServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
    app.asyncCommands.use(AdminCommands(), as: "admin")
    app.asyncCommands.use(LedgerCommands(), as: "ledger")
    app.asyncCommands.use(EPGCommands(), as: "epg")
    app.asyncCommands.use(TokenCommands(), as: "tokens")
}

/// `tvms serve`: HTTP server with in-process workers and scheduler. Wraps Vapor's own serve
/// command (signals, graceful shutdown) and adds migrations and `--demo`.
struct TVMSServeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "Address to listen on (default 127.0.0.1).")
        var hostname: String?
        @Option(name: "port", short: "p", help: "Port to listen on (default 8080).")
        var port: Int?
        @Flag(name: "demo", help: "Load the demo data set (fixed logins, see README) into an empty database.")
        var demo: Bool
        @Flag(name: "no-migrate", help: "Do not apply pending migrations at start (run `tvms migrate` yourself).")
        var noMigrate: Bool
    }

    var help: String { "Runs the HTTP server (console, APIs) with background workers." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if !signature.noMigrate { try await app.autoMigrate() }
        if signature.demo {
            let outcome = try await DemoData.load(app.serviceEnvironment)
            if outcome == .loaded { try await DemoData.loadTheRest(app.serviceEnvironment) }
            context.console.print(outcome == .loaded ? "Demo data loaded." : "Demo data already present.")
        }
        let state = app.tvms
        let work = BackgroundWork()
        app.backgroundWork = work
        work.start(app: app, workers: state.config.inProcessWorkers, scheduler: state.config.schedulerEnabled)

        let host = signature.hostname ?? "127.0.0.1"
        let port = signature.port ?? 8080
        var inner = context
        inner.input = CommandInput(arguments: ["serve", "--hostname", host, "--port", String(port)])
        try await app.servers.asyncCommand.run(using: &inner)
        let shown = host == "0.0.0.0" ? "localhost" : host
        context.console.print("TVMS console: http://\(shown):\(port)/  (database: \(state.config.databaseLabel))")
        if signature.demo { context.console.print(DemoData.loginsText) }
    }
}

struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Applies pending database migrations (safe to run repeatedly)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let known = knownMigrationNames
        try await app.autoMigrate()
        let pending = try await MigrationStatus.pending(on: app.db, known: known)
        context.console.print(pending.isEmpty ? "Database is up to date (\(known.count) migrations)." : "Still pending: \(pending)")
    }
}

struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Loads the demo data set (fixed logins, documented in the README) into the database." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        let outcome = try await DemoData.load(app.serviceEnvironment)
        if outcome == .loaded { try await DemoData.loadTheRest(app.serviceEnvironment) }
        context.console.print(outcome == .loaded ? "Demo data loaded." : "Demo data already present; nothing changed.")
        context.console.print(DemoData.loginsText)
    }
}

/// `tvms worker`: background jobs and the scheduler without HTTP, for separate worker nodes.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "concurrency", short: "c", help: "Parallel job workers (default 2).")
        var concurrency: Int?
        @Flag(name: "once", help: "Run the jobs that are due now, then exit.")
        var once: Bool
    }

    var help: String { "Runs background jobs (and the scheduler) without serving HTTP." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let state = app.tvms
        if signature.once {
            if state.config.schedulerEnabled {
                try await Scheduler(env: app.serviceEnvironment, schedules: state.jobs.schedules, node: state.config.nodeName).tick()
            }
            let ran = try await JobRunner(env: app.serviceEnvironment, registry: state.jobs, workerName: state.config.nodeName,
                                          observer: state.metrics.jobObserver).runDue()
            context.console.print("Ran \(ran) job(s).")
            return
        }
        let work = BackgroundWork()
        app.backgroundWork = work
        work.start(app: app, workers: max(1, signature.concurrency ?? 2), scheduler: state.config.schedulerEnabled)
        context.console.print("TVMS worker running (node \(state.config.nodeName)); stop with Ctrl-C or SIGTERM.")
        // Keep running until a signal, like `serve` does.
        let promise = app.eventLoopGroup.next().makePromise(of: Void.self)
        app.running = .start(using: promise)
        let queue = DispatchQueue(label: "tvms.worker.signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { promise.succeed(()) }
            source.resume()
            sources.append(source)
        }
        WorkerSignals.keep(sources)
    }
}

/// Holds the signal sources for the life of the process.
enum WorkerSignals {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    static func keep(_ s: [DispatchSourceSignal]) { sources = s }
}

struct AdminCommands: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["create": AdminCreateCommand()] }
    var help: String { "Manages console accounts." }
}

/// `tvms admin create --email --password [--role]`: the first owner, before anyone can log in.
struct AdminCreateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "Login e-mail.")
        var email: String?
        @Option(name: "password", help: "Password (at least 8 characters).")
        var password: String?
        @Option(name: "role", help: "owner (default), admin, editor or support. Non-owners get every existing deployment.")
        var role: String?
        @Option(name: "name", help: "Display name (default: the e-mail's local part).")
        var name: String?
    }

    var help: String { "Creates a console account." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let email = signature.email, let password = signature.password else {
            throw DomainError(.invalid, code: "missing_option", "Give both --email and --password.")
        }
        guard let role = Role(rawValue: signature.role ?? "owner"), Role.systemUserRoles.contains(role) else {
            throw DomainError(.invalid, code: "bad_role", "--role must be owner, admin, editor or support.")
        }
        try await app.autoMigrate()
        do {
            let user = try await SystemUserService.bootstrapCreate(app.serviceEnvironment, email: email, password: password, role: role, name: signature.name)
            context.console.print("Created \(role.label.lowercased()) \(user.email).")
        } catch let e as DomainError {
            let details = e.fields.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }.joined(separator: "\n")
            context.console.error(e.message + (details.isEmpty ? "" : "\n" + details))
            throw e
        }
    }
}

struct LedgerCommands: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["verify": LedgerVerifyCommand()] }
    var help: String { "Checks the reseller ledger." }
}

/// `tvms ledger verify`: recomputes every reseller balance and prepaid stock level from the
/// ledger entries and exits non-zero on any mismatch.
struct LedgerVerifyCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Recomputes balances and stock from the ledger entries; exits 1 on any mismatch." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let mismatches = try await ResellerLedger.verify(on: context.application.db)
        if mismatches.isEmpty {
            context.console.print("Ledger consistent: every balance and stock level equals the sum of its entries.")
            return
        }
        for m in mismatches { context.console.error(m.description) }
        throw DomainError(.conflict, code: "ledger_mismatch", "\(mismatches.count) mismatch(es) between stored balances and the ledger.")
    }
}
