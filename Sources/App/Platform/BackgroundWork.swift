import Foundation
import Services
import Vapor

/// The job workers and the scheduler of one process (`tvms serve` or `tvms worker`). Each loop
/// is a task that repeats the testable one-shot call (`runDue`, `tick`) and stops on shutdown,
/// letting a running job finish.
final class BackgroundWork: @unchecked Sendable {
    private var tasks: [Task<Void, Never>] = []
    private let lock = NSLock()

    func start(app: Application, workers: Int, scheduler: Bool) {
        let state = app.tvms
        let env = app.serviceEnvironment
        let interval = state.config.pollInterval
        let logger = app.logger
        lock.withLock {
            for i in 0..<workers {
                let runner = JobRunner(env: env, registry: state.jobs, workerName: "\(state.config.nodeName)/w\(i)", observer: state.metrics.jobObserver)
                tasks.append(Task {
                    while !Task.isCancelled {
                        do { try await runner.runDue(limit: 100) } catch {
                            logger.error("worker loop: \(String(reflecting: error))")
                        }
                        try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                    }
                })
            }
            if scheduler {
                let s = Scheduler(env: env, schedules: state.jobs.schedules, node: state.config.nodeName)
                tasks.append(Task {
                    while !Task.isCancelled {
                        do { try await s.tick() } catch { logger.error("scheduler tick: \(String(reflecting: error))") }
                        try? await Task.sleep(nanoseconds: UInt64(max(1, interval) * 1e9))
                    }
                })
            }
        }
        logger.info("background work started", metadata: ["workers": "\(workers)", "scheduler": "\(scheduler)"])
    }

    func stop() async {
        let running = lock.withLock { let t = tasks; tasks = []; return t }
        for t in running { t.cancel() }
        for t in running { await t.value }
    }
}

/// Stops background work before the database goes away on shutdown.
struct BackgroundWorkLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.backgroundWork?.stop()
    }
}
