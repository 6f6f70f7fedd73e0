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
}
