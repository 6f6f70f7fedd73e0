import App
import Foundation
import Logging
import Vapor

// Entry point only: read configuration, set up logging, build the app through the same
// `configure` the tests use, run the requested subcommand.
var env = try Environment.detect()
let config = AppConfig.fromEnvironment()
if config.logFormat == "json" {
    let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"]?.lowercased() ?? "info") ?? .info
    LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
} else {
    try LoggingSystem.bootstrap(from: &env)
}

let app = try await Application.make(env)
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
