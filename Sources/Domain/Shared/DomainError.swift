/// An error that a user can act on: a stable machine code plus a sentence that says what to do.
///
/// The HTTP layer maps these once (status + JSON `{"error":{"code","message","fields"}}` or a
/// flash message), so services never think about HTTP.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case invalid          // 422
        case notFound         // 404
        case conflict         // 409
        case forbidden        // 403
        case unauthorized     // 401
        case locked           // 423
        case rateLimited      // 429
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// Per-field messages for forms (`email` → "is already used by another account").
    public var fields: [String: String]

    public init(_ kind: Kind, code: String, _ message: String, fields: [String: String] = [:]) {
        self.kind = kind
        self.code = code
        self.message = message
        self.fields = fields
    }

    public var description: String { "\(code): \(message)" }

    public static func validation(_ fields: [String: String]) -> DomainError {
        DomainError(.invalid, code: "validation_failed",
                    "Some fields need attention: " + fields.keys.sorted().joined(separator: ", ") + ".",
                    fields: fields)
    }

    /// The message with each field's problem appended: one line for a flash or a log.
    public var flashText: String {
        message + (fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)." }.joined(separator: " "))
    }

    public static func notFound(_ what: String) -> DomainError {
        DomainError(.notFound, code: "not_found", "\(what) was not found.")
    }
}

/// Collects field errors while a form or JSON body is checked, then throws them all at once so the
/// user sees every problem in one round trip.
public struct FieldErrors: Sendable {
    public private(set) var all: [String: String] = [:]
    public init() {}
    public mutating func add(_ field: String, _ message: String) {
        if all[field] == nil { all[field] = message }
    }
    public var isEmpty: Bool { all.isEmpty }
    /// Adds the field messages of a validation error (other errors are rethrown by the caller).
    public mutating func merge(_ e: DomainError) {
        for (k, v) in e.fields { add(k, v) }
        if e.fields.isEmpty { add("form", e.message) }
    }
    public func throwIfAny() throws {
        if !all.isEmpty { throw DomainError.validation(all) }
    }
}

extension DomainError {
    /// A refusal with a stable code the apps switch on (`not_entitled`, `max_streams_reached`…);
    /// forbidden unless said otherwise. One factory for the subscriber-facing services.
    public static func refused(_ code: String, _ message: String, _ kind: Kind = .forbidden) -> DomainError {
        DomainError(kind, code: code, message)
    }
}
