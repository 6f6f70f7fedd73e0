/// Where a set-top box in stock is. Boxes start in stock; assigning one to a customer links it
/// as the customer's device; unassigning returns it (or marks it faulty).
public enum StockState: String, Sendable, CaseIterable {
    case inStock = "in_stock", assigned, faulty, returned

    public var label: String {
        switch self {
        case .inStock: "In stock"
        case .assigned: "Assigned"
        case .faulty: "Faulty"
        case .returned: "Returned"
        }
    }

    /// Whether a box in this state can be given to a customer.
    public var assignable: Bool { self == .inStock || self == .returned }

    /// States an operator can set by hand (assigning goes through its own action, which links the device).
    public static let settable: [StockState] = [.inStock, .faulty, .returned]
}
