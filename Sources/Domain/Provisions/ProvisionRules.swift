import Foundation

/// What counts as success or failure in a billing endpoint's answer. A rule is empty (no
/// condition), `field=value` (a top-level field of a JSON answer, compared as text), or a text
/// the body must contain.
public struct AnswerRule: Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text.trimmingCharacters(in: .whitespaces) }

    public var isEmpty: Bool { text.isEmpty }

    public func matches(_ body: String) -> Bool {
        guard !text.isEmpty else { return false }
        if let eq = text.firstIndex(of: "="), !text.hasPrefix("="),
           let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] {
            let field = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
            let want = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if let v = object[field] { return "\(v)".caseInsensitiveCompare(want) == .orderedSame || (v as? Bool).map { String($0) == want.lowercased() } == true }
            return false
        }
        return body.localizedCaseInsensitiveContains(text)
    }
}

/// The verdict on one answer of a provision call.
public enum ProvisionVerdict: String, Sendable, Equatable {
    /// Paid: open access.
    case success
    /// Refused by the billing side: do not retry, no access.
    case failure
    /// The billing side is unwell (5xx): worth a retry.
    case retry

    /// 2xx whose body passes the success rule (an empty rule passes) and does not match the
    /// failure rule is success; 5xx and 429 are worth retrying; anything else is a refusal.
    public static func judge(status: Int, body: String, success: AnswerRule, failure: AnswerRule) -> ProvisionVerdict {
        if status >= 500 || status == 429 { return .retry }
        guard (200...299).contains(status) else { return .failure }
        if !failure.isEmpty && failure.matches(body) { return .failure }
        return success.isEmpty || success.matches(body) ? .success : .failure
    }
}

/// The values TVMS can send to a provision, by the names operators map from.
public enum ProvisionFields {
    public static let all = ["userid", "customer_id", "customer_mapping_id", "content_type", "content_id", "title", "amount", "currency", "reference"]
}

/// A pay-per-view rule's window: how long after the purchase the subscriber may watch
/// (the manual's Hours / Days / Months / Years and a number).
public struct PPVWindow: Sendable, Equatable {
    public enum Unit: String, Sendable, CaseIterable { case hours, days, months, years }
    public var count: Int
    public var unit: Unit
    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    public func end(from start: Date, in zone: TimeZone) -> Date {
        switch unit {
        case .hours: return start.addingTimeInterval(TimeInterval(count) * 3600)
        case .days: return SubscriptionCalendar.add(PlanLength(count: count, unit: .days), to: start, in: zone)
        case .months: return SubscriptionCalendar.add(PlanLength(count: count, unit: .months), to: start, in: zone)
        case .years: return SubscriptionCalendar.add(PlanLength(count: count, unit: .years), to: start, in: zone)
        }
    }
}
