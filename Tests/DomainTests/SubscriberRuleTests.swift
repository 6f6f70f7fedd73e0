import Foundation
import Testing
@testable import Domain

@Suite struct SubscriberRuleTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func ratingLimitsOfProfilesAndTheAccount() {
        #expect(ProfileRules.ratingLimit(kids: true, maxRating: nil) == 12)
        #expect(ProfileRules.ratingLimit(kids: true, maxRating: 6) == 6)
        #expect(ProfileRules.ratingLimit(kids: false, maxRating: nil) == nil)
        #expect(ProfileRules.allows(kids: true, maxRating: nil, ageRating: 12, parental: false))
        #expect(!ProfileRules.allows(kids: true, maxRating: nil, ageRating: 16, parental: false))
        #expect(!ProfileRules.allows(kids: true, maxRating: nil, ageRating: 0, parental: true), "kids never get items marked parental")
        #expect(ProfileRules.allows(kids: false, maxRating: nil, ageRating: 18, parental: true), "an adult profile leaves that to the PIN")
        #expect(!ProfileRules.allows(kids: false, maxRating: 16, ageRating: 18, parental: false))
        #expect(ProfileRules.needsParentalPIN(accountMaxRating: 18, ageRating: 18, parental: false))
        #expect(!ProfileRules.needsParentalPIN(accountMaxRating: 18, ageRating: 16, parental: false))
        #expect(ProfileRules.needsParentalPIN(accountMaxRating: 12, ageRating: 16, parental: false))
        #expect(ProfileRules.needsParentalPIN(accountMaxRating: 18, ageRating: 0, parental: true))
    }

    @Test func namesPINsAndAvatars() {
        #expect(ProfileRules.name("  Anna ") == .success("Anna"))
        #expect(ProfileRules.name(" ") == .failure("is required"))
        #expect(ProfileRules.name(String(repeating: "x", count: 31)) == .failure("is limited to 30 characters"))
        #expect(ProfileRules.pinProblem("1234") == nil && ProfileRules.pinProblem("12345678") == nil)
        #expect(ProfileRules.pinProblem("123") != nil && ProfileRules.pinProblem("12a4") != nil && ProfileRules.pinProblem("١٢٣٤") != nil)
        #expect(ProfileRules.nextAvatar(used: ["fox"]) == "owl")
        #expect(Set(ProfileRules.avatars.map(\.id)).count == ProfileRules.avatars.count)
    }

    @Test func profilePINDigestsAreSaltedAndChecked() {
        let a = ProfilePIN.make("2468"), b = ProfilePIN.make("2468")
        #expect(a != b, "a fresh salt per PIN")
        #expect(ProfilePIN.matches(stored: a, pin: "2468") && !ProfilePIN.matches(stored: a, pin: "2469"))
        #expect(!ProfilePIN.matches(stored: "", pin: "2468") && !ProfilePIN.matches(stored: "2468", pin: "2468"))
    }

    @Test func aTitleIsFinishedFrom95Percent() {
        #expect(!ResumeRules.finished(position: 5699, duration: 6000))
        #expect(ResumeRules.finished(position: 5700, duration: 6000))
        #expect(!ResumeRules.finished(position: 0, duration: 0))
    }

    func event(_ json: String) throws -> AnyJSON { try JSONDecoder().decode(AnyJSON.self, from: Data(json.utf8)) }

    @Test func eventsAreCheckedOneByOne() throws {
        let at = "2026-09-21T10:00:00Z"
        let ok = ClientEventCatalogue.validate(try event(#"{"type":"channel","at":"\#(at)","item":"channel:3","duration":120.7,"number":7,"password":"x"}"#), index: 0, now: now)
        guard case .success(let e) = ok else { Issue.record("refused: \(ok)"); return }
        #expect(e.type == "Channel" && e.item == "channel:3" && e.duration == 120 && e.extra == #"{"number":7}"#)
        let fractional = ClientEventCatalogue.validate(try event(#"{"type":"Pages","at":"2026-09-21T10:00:00.250Z","page":"home"}"#), index: 0, now: now)
        #expect((try? fractional.get())?.type == "Pages")
        func code(_ json: String) throws -> String? {
            if case .failure(let r) = ClientEventCatalogue.validate(try event(json), index: 4, now: now) { return r.code }
            return nil
        }
        #expect(try code(#"{"type":"Zap","at":"\#(at)"}"#) == "unknown_type")
        #expect(try code(#"{"at":"\#(at)"}"#) == "missing_type")
        #expect(try code(#"{"type":"Search","at":"yesterday","query":"x"}"#) == "invalid_at")
        #expect(try code(#"{"type":"Search","at":"2026-07-01T00:00:00Z","query":"x"}"#) == "too_old")
        #expect(try code(#"{"type":"Search","at":"2026-09-25T00:00:00Z","query":"x"}"#) == "invalid_at")
        #expect(try code(#"{"type":"Movies","at":"\#(at)"}"#) == "missing_item")
        #expect(try code(#"{"type":"Movies","at":"\#(at)","item":"film 12"}"#) == "invalid_item")
        #expect(try code(#"{"type":"Movies","at":"\#(at)","item":"movie:1","position":-5}"#) == "invalid_number")
        #expect(try code(#"{"type":"Search","at":"\#(at)"}"#) == "missing_field")
        #expect(try code(#"{"type":"Error","at":"\#(at)","name":"\#(String(repeating: "e", count: 5000))"}"#) == "too_large")
        #expect(try code(#"[1,2]"#) == "not_an_object")
    }
}
