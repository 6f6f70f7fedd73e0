import Foundation
import Services
import Testing

/// The playback path's short memory: an expired entry is reloaded by one request while the others
/// keep the old value, so expiry never sends every request in flight to the database at once.
@Suite struct HotCacheTests {
    struct Failure: Error {}
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func oneRequestReloadsAnExpiredEntryWhileOthersKeepTheOldValue() async throws {
        let cache = HotCache()
        let first = await cache.get("k", now: t0) { 1 }
        #expect(first == 1)
        let fresh = await cache.get("k", now: t0.addingTimeInterval(4)) { 99 }
        #expect(fresh == 1)

        // Expired: this caller reloads; a request arriving during the reload still gets 1.
        let expired = t0.addingTimeInterval(HotCache.ttl + 1)
        let reloaded = await cache.get("k", now: expired) { () async -> Int in
            let during = await cache.get("k", now: expired) { () async -> Int in
                Issue.record("a second request reloaded the same entry during a reload")
                return -1
            }
            #expect(during == 1)
            return 2
        }
        #expect(reloaded == 2)
        let after = await cache.get("k", now: expired) { 99 }
        #expect(after == 2)
    }

    @Test func aFailedReloadLetsTheNextRequestTryAgain() async throws {
        let cache = HotCache()
        _ = await cache.get("k", now: t0) { 1 }
        let expired = t0.addingTimeInterval(HotCache.ttl + 1)
        await #expect(throws: Failure.self) {
            try await cache.get("k", now: expired) { () async throws -> Int in throw Failure() }
        }
        let retried = await cache.get("k", now: expired) { 3 }
        #expect(retried == 3)
    }

    @Test func aValueLongPastItsTimeIsNeverServed() async throws {
        let cache = HotCache()
        _ = await cache.get("k", now: t0) { 1 }
        let longAfter = t0.addingTimeInterval(2 * HotCache.ttl + 1)
        // Mark a reload as running, then come back after the grace period: the old value is gone.
        let v = await cache.get("k", now: t0.addingTimeInterval(HotCache.ttl + 1)) { () async -> Int in
            await cache.get("k", now: longAfter) { 7 }
        }
        #expect(v == 7)
    }

    /// Opens once; everything waiting on it goes on.
    actor Gate {
        private var open = false
        private var waiters: [CheckedContinuation<Void, Never>] = []
        func wait() async {
            if open { return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func release() { open = true; waiters.forEach { $0.resume() }; waiters = [] }
    }

    actor Counter {
        private(set) var count = 0
        func add() { count += 1 }
    }

    /// Waits (by yielding, not sleeping) until `n` requests queue for the load of `key`.
    func untilWaiting(_ cache: HotCache, _ key: String, _ n: Int) async {
        while cache.waiting(for: key) < n { await Task.yield() }
    }

    @Test func requestsForAKeyWithNoValueWaitForTheOneLoad() async throws {
        let cache = HotCache(), gate = Gate(), loads = Counter()
        let t0 = t0
        let first = Task { await cache.get("k", now: t0) { () async -> Int in await loads.add(); await gate.wait(); return 5 } }
        while await loads.count == 0 { await Task.yield() }
        let others = (0..<3).map { _ in Task { await cache.get("k", now: t0) { () async -> Int in await loads.add(); return 6 } } }
        await untilWaiting(cache, "k", 3)
        await gate.release()
        var answers = [await first.value]
        for o in others { answers.append(await o.value) }
        #expect(answers == [5, 5, 5, 5])
        let count = await loads.count
        #expect(count == 1)
    }

    @Test func waitersLoadThemselvesWhenTheLoadFails() async throws {
        let cache = HotCache(), gate = Gate()
        let t0 = t0
        let first = Task { try await cache.get("k", now: t0) { () async throws -> Int in await gate.wait(); throw Failure() } }
        while !cache.isLoading("k") { await Task.yield() }
        let second = Task { await cache.get("k", now: t0) { 8 } }
        await untilWaiting(cache, "k", 1)
        await gate.release()
        await #expect(throws: Failure.self) { try await first.value }
        let v = await second.value
        #expect(v == 8)
    }

    @Test func aLoadThatAWriteOvertookIsNotRemembered() async throws {
        let cache = HotCache(), gate = Gate()
        let t0 = t0
        let first = Task { await cache.get("k", now: t0) { () async -> Int in await gate.wait(); return 1 } }
        // A write lands while the load (which read the rows before it) is still running.
        while !cache.isLoading("k") { await Task.yield() }
        cache.invalidateAll()
        await gate.release()
        let v = await first.value
        #expect(v == 1)
        let after = await cache.get("k", now: t0) { 2 }
        #expect(after == 2)
    }
}
