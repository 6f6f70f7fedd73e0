import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// A guide file parsed on a thread of its own. Programmes come out in batches through
/// `batches`; the thread blocks while `capacity` batches wait to be written, so a slow
/// database holds the parser back instead of letting memory grow. Programmes without a stop
/// time end when the channel's next one starts (the last one of a channel gets an hour).
final class GuideReader: @unchecked Sendable {
    struct Batch: Sendable {
        var channels: [XMLTVChannel] = []
        var programmes: [XMLTVProgramme] = []
        /// Bytes of the file read when the batch was cut (for progress).
        var bytes: Int64 = 0
    }

    /// What the parse found besides programmes; complete once `batches` has ended.
    struct Summary: Sendable { var bytes: Int64 = 0; var channels = 0; var skipped = 0; var warnings: [String] = [] }

    static let batchSize = 5000
    static let chunkSize = 1 << 20
    static let capacity = 3

    let file: URL
    let zone: TimeZone
    let shift: TimeInterval
    let batches: AsyncThrowingStream<Batch, any Error>
    private let continuation: AsyncThrowingStream<Batch, any Error>.Continuation
    private let slots = DispatchSemaphore(value: capacity)
    private let lock = NSLock()
    private var stopped = false
    private var result = Summary()

    init(file: URL, zone: TimeZone, shift: TimeInterval) {
        self.file = file
        self.zone = zone
        self.shift = shift
        (batches, continuation) = AsyncThrowingStream.makeStream(of: Batch.self)
    }

    var summary: Summary { lock.withLock { result } }

    func start() {
        let thread = Thread { [self] in
            do {
                try parse()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "tvms-epg-parse"
        thread.start()
    }

    /// The writer is done with a batch: the parser may run one further ahead.
    func consumed() { slots.signal() }

    /// The writer gave up (error or cancellation): the parse thread stops at its next batch.
    func stop() {
        lock.withLock { stopped = true }
        slots.signal()
    }

    struct Stopped: Error {}

    private func hand(_ batch: Batch) throws {
        slots.wait()
        if lock.withLock({ stopped }) { slots.signal(); throw Stopped() }
        continuation.yield(batch)
    }

    private func parse() throws {
        var batch = Batch()
        var open: [String: XMLTVProgramme] = [:]
        var channels = Set<String>()
        var summary = Summary()
        let shift = shift
        let parser = XMLTVParser(defaultZone: zone) { event in
            switch event {
            case .channel(let c):
                channels.insert(c.id)
                batch.channels.append(c)
            case .programme(var p):
                channels.insert(p.channel)
                if shift != 0 {
                    p.start += shift
                    p.stop = p.stop.map { $0 + shift }
                }
                if var previous = open.removeValue(forKey: p.channel) {
                    previous.stop = p.start
                    batch.programmes.append(previous)
                }
                if p.stop == nil { open[p.channel] = p } else { batch.programmes.append(p) }
            case .warning(let w):
                if summary.warnings.count < 50 { summary.warnings.append(w) }
            }
        }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        while true {
            let data = try handle.read(upToCount: Self.chunkSize) ?? Data()
            if data.isEmpty { break }
            summary.bytes += Int64(data.count)
            try parser.feed(data)
            if batch.programmes.count >= Self.batchSize || batch.channels.count >= Self.batchSize {
                batch.bytes = summary.bytes
                try hand(batch)
                batch = Batch()
            }
        }
        try parser.finish()
        for (_, var p) in open { p.stop = p.start + 3600; batch.programmes.append(p) }
        batch.bytes = summary.bytes
        if !batch.programmes.isEmpty || !batch.channels.isEmpty { try hand(batch) }
        summary.channels = channels.count
        summary.skipped = parser.skippedProgrammes
        lock.withLock { result = summary }
    }
}

/// Where the importer's programmes go, under an import id nobody reads until activation.
/// `finish` makes everything written durable; `abandon` drops what is not yet committed.
protocol ProgrammeSink: Sendable {
    func write(_ programmes: [XMLTVProgramme], channelIDs: [String: Int]) async throws
    func finish() async throws
    func abandon() async
}

enum ProgrammeColumns {
    static let names = ["epg_channel_id", "import_id", "start", "stop", "title", "title_lang", "sub_title", "description", "categories", "episode_ns",
                        "episode_onscreen", "rating", "icon", "previously_shown", "is_new", "premiere"]
}

/// SQLite: one prepared INSERT reused for every row, on a private connection to the file. A
/// transaction spans about `rowsPerTransaction` rows (several batches) and holds the server's
/// write turn meanwhile: a guide interleaves its channels, so each transaction touches an index
/// page per channel, and every commit writes those pages again to the WAL. Fifty thousand rows
/// (well under a second) per commit keep that rewriting small while other writers wait briefly.
final class SQLiteProgrammeSink: ProgrammeSink, @unchecked Sendable {
    static let rowsPerTransaction = 50_000
    let env: ServiceEnvironment
    let importID: Int
    let connection: SQLiteBulkConnection
    let insert: SQLiteBulkConnection.Statement
    /// The connection is used from one thread at a time: this queue's.
    let queue = DispatchQueue(label: "tvms.epg.sqlite-sink")
    /// Rows in the open transaction; nil when none is open. Touched only by the importing task.
    var open: Int?

    init(_ env: ServiceEnvironment, path: String, importID: Int) throws {
        self.env = env
        self.importID = importID
        connection = try SQLiteBulkConnection(path: path)
        let names = ProgrammeColumns.names
        insert = try connection.prepare("INSERT INTO epg_programmes (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))")
    }

    /// Runs blocking SQLite work on the sink's queue.
    private func onQueue(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            queue.async {
                do { try work(); done.resume() } catch { done.resume(throwing: error) }
            }
        }
    }

    func write(_ programmes: [XMLTVProgramme], channelIDs: [String: Int]) async throws {
        if open == nil {
            await env.gate.acquire(env.db)
            do { try await onQueue { try self.connection.execute("BEGIN IMMEDIATE") } } catch { await env.gate.release(env.db); throw error }
            open = 0
        }
        do {
            try await onQueue { try self.insertAll(programmes, channelIDs: channelIDs) }
        } catch {
            await abandon()
            throw error
        }
        open! += programmes.count
        if open! >= Self.rowsPerTransaction { try await finish() }
    }

    func finish() async throws {
        guard open != nil else { return }
        do {
            try await onQueue { try self.connection.execute("COMMIT") }
        } catch {
            await abandon()
            throw error
        }
        open = nil
        await env.gate.release(env.db)
    }

    func abandon() async {
        guard open != nil else { return }
        try? await onQueue { try self.connection.execute("ROLLBACK") }
        open = nil
        await env.gate.release(env.db)
    }

    private func insertAll(_ programmes: [XMLTVProgramme], channelIDs: [String: Int]) throws {
        let s = insert
        for p in programmes {
            guard let channel = channelIDs[p.channel] else { continue }
            s.bind(channel, at: 1)
            s.bind(importID, at: 2)
            s.bind(p.start, at: 3)
            s.bind(max(p.stop ?? p.start, p.start), at: 4)
            s.bind(p.title, at: 5)
            s.bind(p.titleLang, at: 6)
            s.bind(p.subTitle, at: 7)
            s.bind(p.description, at: 8)
            s.bind(p.categories.joined(separator: ","), at: 9)
            s.bind(p.episodeNS, at: 10)
            s.bind(p.episodeOnscreen, at: 11)
            s.bind(p.rating, at: 12)
            s.bind(p.icon, at: 13)
            s.bind(p.previouslyShown, at: 14)
            s.bind(p.isNew, at: 15)
            s.bind(p.premiere, at: 16)
            try s.run()
        }
    }
}

/// PostgreSQL: multi-row INSERTs through SQLKit, one transaction per batch.
struct SQLProgrammeSink: ProgrammeSink {
    let env: ServiceEnvironment
    let importID: Int

    func write(_ programmes: [XMLTVProgramme], channelIDs: [String: Int]) async throws {
        let importID = importID
        try await env.write { db in
            // 16 columns × 1,000 rows stays under PostgreSQL's 65,535 bind parameters.
            for chunk in programmes.chunked(1000) {
                var q = db.sql.insert(into: EPGProgrammeModel.schema).columns(ProgrammeColumns.names)
                for p in chunk {
                    guard let channel = channelIDs[p.channel] else { continue }
                    let stop = max(p.stop ?? p.start, p.start)
                    q = q.values(SQLBind(channel), SQLBind(importID), SQLBind(p.start), SQLBind(stop), SQLBind(p.title), SQLBind(p.titleLang), SQLBind(p.subTitle),
                                 SQLBind(p.description), SQLBind(p.categories.joined(separator: ",")), SQLBind(p.episodeNS), SQLBind(p.episodeOnscreen),
                                 SQLBind(p.rating), SQLBind(p.icon), SQLBind(p.previouslyShown), SQLBind(p.isNew), SQLBind(p.premiere))
                }
                try await q.run()
            }
        }
    }

    func finish() async throws {}
    func abandon() async {}
}
