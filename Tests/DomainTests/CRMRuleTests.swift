import Foundation
import Testing
@testable import Domain

@Suite struct SubscriptionCalendarTests {
    let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!
    let utc = TimeZone(identifier: "UTC")!

    func date(_ s: String, _ tz: TimeZone) -> Date {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = tz
        return f.date(from: s)!
    }

    func text(_ d: Date, _ tz: TimeZone) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = tz
        return f.string(from: d)
    }

    @Test(arguments: [
        ("2026-01-31 12:00", 1, LengthUnit.months, "2026-02-28 12:00"),
        ("2028-01-31 12:00", 1, .months, "2028-02-29 12:00"),
        ("2026-03-31 08:00", 1, .months, "2026-04-30 08:00"),
        ("2026-08-31 08:00", 6, .months, "2027-02-28 08:00"),
        ("2028-02-29 10:00", 1, .years, "2029-02-28 10:00"),
        ("2026-12-15 10:00", 2, .weeks, "2026-12-29 10:00"),
        ("2026-01-01 00:00", 30, .days, "2026-01-31 00:00"),
    ])
    func monthEndsClampAndLengthsAreCalendarLengths(start: String, count: Int, unit: LengthUnit, expected: String) {
        let end = SubscriptionCalendar.add(PlanLength(count: count, unit: unit), to: date(start, utc), in: utc)
        #expect(text(end, utc) == expected)
    }

    @Test func daysKeepTheLocalTimeAcrossDaylightSaving() {
        // 2026-10-25: clocks go back one hour in Amsterdam.
        let start = date("2026-10-24 20:00", amsterdam)
        let end = SubscriptionCalendar.add(PlanLength(count: 1, unit: .days), to: start, in: amsterdam)
        #expect(text(end, amsterdam) == "2026-10-25 20:00")
        #expect(end.timeIntervalSince(start) == 25 * 3600)
    }

    @Test func monthsAreCountedInTheDeploymentsZone() {
        // 31 Jan 23:30 in Amsterdam is still 31 Jan 22:30 UTC, but 1 Feb in Auckland's view is not
        // what matters: the deployment's zone decides which day "the 31st" is.
        let start = date("2026-01-31 23:30", amsterdam)
        #expect(text(SubscriptionCalendar.add(PlanLength(count: 1, unit: .months), to: start, in: amsterdam), amsterdam) == "2026-02-28 23:30")
    }

    @Test func renewalsCountFromTheExpiryOnlyWhileItIsAhead() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let ahead = now.addingTimeInterval(86_400), past = now.addingTimeInterval(-86_400)
        #expect(SubscriptionCalendar.renewalBase(currentExpiry: ahead, now: now, fromExpiry: true) == ahead)
        #expect(SubscriptionCalendar.renewalBase(currentExpiry: past, now: now, fromExpiry: true) == now)
        #expect(SubscriptionCalendar.renewalBase(currentExpiry: ahead, now: now, fromExpiry: false) == now)
        #expect(SubscriptionCalendar.renewalBase(currentExpiry: nil, now: now, fromExpiry: true) == now)
    }
}

@Suite struct CustomerStatusTests {
    let now = Date(timeIntervalSince1970: 2_000_000)

    @Test func theStatusRule() {
        let later = now.addingTimeInterval(10), earlier = now.addingTimeInterval(-10)
        #expect(CustomerStatus.effective(disabled: false, startsAt: nil, expiresAt: nil, trialProduct: false, now: now) == .pending)
        #expect(CustomerStatus.effective(disabled: false, startsAt: earlier, expiresAt: later, trialProduct: false, now: now) == .active)
        #expect(CustomerStatus.effective(disabled: false, startsAt: earlier, expiresAt: later, trialProduct: true, now: now) == .trial)
        #expect(CustomerStatus.effective(disabled: false, startsAt: earlier, expiresAt: now, trialProduct: false, now: now) == .expired, "expiry is exclusive")
        #expect(CustomerStatus.effective(disabled: true, startsAt: earlier, expiresAt: later, trialProduct: false, now: now) == .disabled)
        #expect(CustomerStatus.effective(disabled: true, startsAt: nil, expiresAt: nil, trialProduct: false, now: now) == .disabled)
        #expect(CustomerStatus.active.isServed && CustomerStatus.trial.isServed)
        #expect(!CustomerStatus.expired.isServed && !CustomerStatus.disabled.isServed && !CustomerStatus.pending.isServed)
    }
}

@Suite struct CredentialAndInputTests {
    @Test func loginAndPasswordRulesOfTheManual() {
        #expect(Credentials.loginProblem("abc12") != nil, "at least 6")
        #expect(Credentials.loginProblem("room.101@hotel") == nil)
        #expect(Credentials.loginProblem("has space") != nil)
        #expect(Credentials.loginProblem(String(repeating: "a", count: 100)) != nil, "at most 99")
        #expect(Credentials.passwordProblem("abc") != nil && Credentials.passwordProblem("ab1!") == nil)
        #expect(Credentials.passwordProblem("dot.not.allowed") != nil, "'.' is allowed in logins, not in passwords")
        #expect(Credentials.passwordProblem(String(repeating: "x", count: 25)) != nil)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            #expect(Credentials.loginProblem(Credentials.generateLogin(using: &rng)) == nil)
            #expect(Credentials.passwordProblem(Credentials.generatePassword(using: &rng)) == nil)
        }
    }

    @Test func searchKeys() {
        #expect(SearchKey.text("  Ánna   de VRIES ") == "anna de vries")
        #expect(SearchKey.phone("+31 (6) 123-45") == "+31612345")
        #expect(SearchKey.mac("00:1A:79:aa:BB:cc") == "00:1a:79:aa:bb:cc")
        #expect(SearchKey.mac("001a79aabbcc") == "00:1a:79:aa:bb:cc")
        #expect(SearchKey.mac("00:1A:79") == nil)
        #expect(Phone.isInternational("+31612345678") && !Phone.isInternational("0612345678"))
        #expect(Country.isCode("NL") && !Country.isCode("XX") && !Country.isCode("nl"))
    }

    @Test func cidrBlocks() throws {
        let net = try #require(CIDR("192.168.10.0/24"))
        #expect(net.contains("192.168.10.77") && !net.contains("192.168.11.1"))
        #expect(CIDR("10.0.0.1")?.description == "10.0.0.1/32")
        let v6 = try #require(CIDR("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5") && !v6.contains("2001:db9::1"))
        #expect(CIDR("300.1.1.1") == nil && CIDR("10.0.0.0/33") == nil && CIDR("nonsense") == nil)
    }

    @Test func csvParsingKeepsLineNumbersAndQuotes() {
        let rows = CSV.parse("\u{FEFF}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"multi\nline\",z\n")
        #expect(rows.count == 3)
        #expect(rows[0].line == 1 && rows[0].fields == ["a", "b"])
        #expect(rows[1].line == 2 && rows[1].fields == ["x, y", "say \"hi\""])
        #expect(rows[2].line == 4 && rows[2].fields == ["multi\nline", "z"])
        #expect(CSV.line(["=cmd()", "a,b", "+31612345678"]) == "'=cmd(),\"a,b\",+31612345678")
    }
}
