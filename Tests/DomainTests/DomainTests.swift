import Foundation
import Testing
@testable import Domain

@Suite struct MoneyTests {
    @Test func parsesAndFormatsWithTheCurrencysDecimals() throws {
        let eur = try #require(CurrencyCode("eur"))
        #expect(Money.parse("9.99", currency: eur)?.minorUnits == 999)
        #expect(Money.parse("10", currency: eur)?.minorUnits == 1000)
        #expect(Money.parse("-0.5", currency: eur)?.minorUnits == -50)
        #expect(Money(minorUnits: 999, currency: eur).formatted == "9.99 EUR")
        #expect(Money(minorUnits: -5, currency: eur).formatted == "-0.05 EUR")
        #expect(Money.parse("10", currency: .credits)?.formatted == "10 CREDITS")
        #expect(Money.parse("1.234", currency: try #require(CurrencyCode("KWD")))?.minorUnits == 1234)
    }

    @Test func refusesAmountsItCannotRepresentExactly() throws {
        let eur = try #require(CurrencyCode("EUR"))
        #expect(Money.parse("9.999", currency: eur) == nil, "more decimals than the currency has must not be rounded")
        #expect(Money.parse("1.5", currency: .credits) == nil)
        #expect(Money.parse("abc", currency: eur) == nil)
        #expect(Money.parse("", currency: eur) == nil)
        #expect(Money.parse("99999999999999999999", currency: eur) == nil, "overflow is refused")
    }

    @Test func currencyCodesAreISOOrCredits() {
        #expect(CurrencyCode("usd")?.code == "USD")
        #expect(CurrencyCode("credits") == .credits)
        #expect(CurrencyCode("EURO") == nil)
        #expect(CurrencyCode("E1R") == nil)
    }
}

@Suite struct RoleMatrixTests {
    @Test func ownersMayDoEverything() {
        #expect(Permission.allCases.allSatisfy { Role.owner.allows($0) })
    }

    @Test func eachRoleReachesItsAreaAndNothingMore() {
        #expect(Role.admin.allows(.cms) && Role.admin.allows(.crm) && Role.admin.allows(.manageDeploymentSettings))
        #expect(!Role.admin.allows(.manageSystemUsers) && !Role.admin.allows(.createDeployments))
        #expect(Role.editor.allows(.cms) && !Role.editor.allows(.crm) && !Role.editor.allows(.viewAuditLog))
        #expect(Role.support.allows(.crm) && !Role.support.allows(.cms) && !Role.support.allows(.manageDeploymentSettings))
        #expect(!Role.reseller.allows(.cms) && !Role.reseller.allows(.crm) && Role.reseller.allows(.resellerPortal))
        #expect(!Role.dealer.allows(.useRestAPI))
    }
}

@Suite struct PlatformRuleTests {
    @Test func retryBackOffDoublesAndIsCapped() {
        #expect(RetryPolicy.delay(afterAttempt: 1) == 10)
        #expect(RetryPolicy.delay(afterAttempt: 2) == 20)
        #expect(RetryPolicy.delay(afterAttempt: 4) == 80)
        #expect(RetryPolicy.delay(afterAttempt: 30) == 3600)
    }

    @Test func recurringSlotsAreTheSameOnEveryNode() {
        let s = RecurringSchedule(name: "m", jobKind: "k", interval: 3600)
        let a = Date(timeIntervalSince1970: 7200 + 10)
        let b = Date(timeIntervalSince1970: 7200 + 3599)
        #expect(s.slot(containing: a) == s.slot(containing: b))
        #expect(s.slot(containing: Date(timeIntervalSince1970: 10800)) != s.slot(containing: a))
    }

    @Test func auditKeepsOnlyChangesAndMasksSecrets() {
        let diff = AuditMasking.changes(before: ["name": "A", "password": "old", "email": "x@y.z"],
                                        after: ["name": "B", "password": "new", "email": "x@y.z"])
        #expect(diff.before == ["name": "A", "password": AuditMasking.mask])
        #expect(diff.after == ["name": "B", "password": AuditMasking.mask])
        #expect(AuditMasking.masked(["authToken": "abc", "apiKey": "k", "city": "Rome"]) == ["authToken": AuditMasking.mask, "apiKey": AuditMasking.mask, "city": "Rome"])
    }

    @Test func secretsAreRandomPrefixedAndStoredAsDigests() {
        let a = Secrets.generate(prefix: "tvms_pat_"), b = Secrets.generate(prefix: "tvms_pat_")
        #expect(a != b && a.hasPrefix("tvms_pat_") && a.count > 40)
        #expect(Secrets.digest(a) == Secrets.digest(a) && Secrets.digest(a) != Secrets.digest(b))
        #expect(Secrets.equalDigests(Secrets.digest(a), Secrets.digest(a)))
        #expect(!Secrets.equalDigests(Secrets.digest(a), Secrets.digest(b)))
        #expect(Secrets.hint(a) == "…" + a.suffix(4))
    }

    @Test func validationRules() {
        #expect(Validation.isEmail("owner@demo.tvms") && !Validation.isEmail("owner@") && !Validation.isEmail("a b@c.d"))
        #expect(Validation.isTimeZone("Europe/Amsterdam") && Validation.isTimeZone("UTC") && !Validation.isTimeZone("Mars/Base"))
        #expect(Validation.isServiceName("democms") && !Validation.isServiceName("Demo CMS") && !Validation.isServiceName("1abc") && !Validation.isServiceName("ab"))
        #expect(PasswordPolicy.problem(with: "short") != nil && PasswordPolicy.problem(with: "long enough") == nil)
    }

    @Test func cursorsRoundTripAndRejectGarbage() {
        let c = PageCursor(sortValue: "x", id: "42")
        #expect(PageCursor.decode(c.encoded) == c)
        #expect(PageCursor.decode("not a cursor!") == nil)
        #expect(PageSize.clamp(nil) == 50 && PageSize.clamp(100_000) == 500 && PageSize.clamp(-1) == 50)
    }
}

@Suite struct CanonicalJSONTests {
    /// The bytes parse back to the same value, keys come sorted, and the same content always
    /// gives the same bytes.
    @Test func writesSortedValidJSON() throws {
        let title: String? = nil
        let doc: [String: Any] = ["b": [1, 2, 3], "a": ["z": true, "y": NSNull(), "x": "quote \" backslash \\ slash / tab \t nl \n ctl \u{01} é 🎬"],
                                  "c": 7.5, "d": Int64(-9), "e": [String](), "f": title as Any, "g": ["k": "v"] as [String: String]]
        let bytes = try CanonicalJSON.encode(doc)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"a":{"x":"quote \" backslash \\ slash / tab \t nl \n ctl \u0001 é 🎬","y":null,"z":true},"b":[1,2,3],"c":7.5,"d":-9,"e":[],"f":null"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect((parsed["a"] as? [String: Any])?["x"] as? String == "quote \" backslash \\ slash / tab \t nl \n ctl \u{01} é 🎬")
        #expect(try CanonicalJSON.encode(doc) == bytes)
        // Instants are written as ISO 8601 UTC; other Foundation types are refused.
        #expect(String(decoding: try CanonicalJSON.encode(["when": Date(timeIntervalSince1970: 1_795_600_000)]), as: UTF8.self) == #"{"when":"2026-11-25T09:46:40Z"}"#)
        #expect(throws: CanonicalJSON.Unsupported.self) { try CanonicalJSON.encode(["where": URL(string: "https://example.net")!]) }
    }
}
