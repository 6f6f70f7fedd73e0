import App
import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

// Entry point only: read configuration, set up logging, build the app through the same
// `configure` the tests use, run the requested subcommand.

// Async code runs on SwiftNIO's event loops instead of a second thread pool: a request handler
// then continues on the thread that read the request, which saves two thread hand-overs per
// request (measured on playback authorisation, docs/BENCHMARKS.md). Must come before any async
// code runs. Blocking work never runs on these threads: bcrypt is short and the EPG import's
// parser and SQLite writer have their own threads.
let executorTakenOver = ProcessInfo.processInfo.environment["TVMS_NIO_EXECUTOR"] == "off"
    ? false : NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
var env = try Environment.detect()
let config = AppConfig.fromEnvironment()
if config.logFormat == "json" {
    let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"]?.lowercased() ?? "info") ?? .info
    LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
} else {
    try LoggingSystem.bootstrap(from: &env)
}

let app = try await Application.make(env)
app.logger.debug("SwiftNIO event loops as the concurrency executor: \(executorTakenOver)")
do {
    let standalone = env.arguments.dropFirst().first.map { standaloneCommandNames.contains($0) } ?? false
    if !standalone { try await configure(app, config: config) }
    registerCommands(app)
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
