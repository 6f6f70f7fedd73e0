import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// CRM › Dealers and Stocks: who distributes set-top boxes, which models exist, and every box in
/// stock until it is assigned to a customer as a hard-linked device.
public enum StockService {
    // MARK: Dealers

    public struct DealerInput: Sendable {
        public var name: String
        public var contact = "", email = "", phone = "", address = ""
        public var enabled = true
        public init(name: String) { self.name = name }
    }

    public static func dealers(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [DealerModel] {
        try actor.require(.crm, in: deploymentID)
        return try await DealerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func dealer(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> DealerModel {
        try actor.require(.crm, in: deploymentID)
        guard let d = try await DealerModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The dealer")
        }
        return d
    }

    /// Creates a dealer (`id` nil) or updates one.
    public static func saveDealer(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input: DealerInput) async throws -> DealerModel {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { errors.add("name", "is required") }
        if !input.email.isEmpty && !Validation.isEmail(input.email) { errors.add("email", "is not an e-mail address") }
        if !input.phone.isEmpty && !Phone.isInternational(input.phone) { errors.add("phone", "must start with + and the country code") }
        try errors.throwIfAny()
        let d = id == nil ? DealerModel() : try await dealer(env, actor: actor, deploymentID: deploymentID, id: id!)
        let before = id == nil ? nil : dealerSnapshot(d)
        d.deploymentID = deploymentID
        d.name = name
        d.contact = input.contact
        d.email = input.email
        d.phone = input.phone.isEmpty ? "" : SearchKey.phone(input.phone)
        d.address = input.address
        d.enabled = input.enabled
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "dealer", entityID: String(d.id!),
                                          action: id == nil ? "create" : "update", before: before, after: dealerSnapshot(d))
        }
        return d
    }

    static func dealerSnapshot(_ d: DealerModel) -> [String: String?] {
        ["name": d.name, "contact": d.contact, "email": d.email, "phone": d.phone, "address": d.address, "enabled": String(d.enabled)]
    }

    /// Refused while boxes or customers belong to the dealer.
    public static func deleteDealer(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let d = try await dealer(env, actor: actor, deploymentID: deploymentID, id: id)
        let boxes = try await StockItemModel.query(on: env.db).filter(\.$dealerID == id).count()
        let customers = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$dealerID == id).count()
        guard boxes == 0 && customers == 0 else {
            throw DomainError(.conflict, code: "dealer_in_use", "\(d.name) still has \(boxes) box(es) in stock and \(customers) customer(s); move them first.")
        }
        try await env.write { db in
            try await d.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "dealer", entityID: String(id),
                                          action: "delete", before: ["name": d.name])
        }
    }

    /// Boxes and (untrashed) customers per dealer.
    public static func dealerUsage(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> (boxes: [Int: Int], customers: [Int: Int]) {
        let boxes = try await env.db.sql.raw("""
            SELECT dealer_id AS k, COUNT(*) AS n FROM stock_items WHERE deployment_id = \(bind: deploymentID) AND dealer_id IS NOT NULL GROUP BY dealer_id
            """).all()
        let customers = try await env.db.sql.raw("""
            SELECT dealer_id AS k, COUNT(*) AS n FROM customers
            WHERE deployment_id = \(bind: deploymentID) AND dealer_id IS NOT NULL AND deleted_at IS NULL GROUP BY dealer_id
            """).all()
        return (try keyed(boxes), try keyed(customers))
    }

    /// Boxes per model.
    public static func modelUsage(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> [Int: Int] {
        try keyed(try await env.db.sql.raw("SELECT model_id AS k, COUNT(*) AS n FROM stock_items WHERE deployment_id = \(bind: deploymentID) GROUP BY model_id").all())
    }

    static func keyed(_ rows: [any SQLRow]) throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for r in rows { out[try r.decode(column: "k", as: Int.self)] = try r.decode(column: "n", as: Int.self) }
        return out
    }

    // MARK: Models

    public static let modelKinds = ["stb", "stick", "smart-tv", "other"]

    public static func models(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [DeviceModelModel] {
        try actor.require(.crm, in: deploymentID)
        return try await DeviceModelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func createModel(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, name: String, vendor: String, kind: String) async throws -> DeviceModelModel {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        let n = name.trimmingCharacters(in: .whitespaces)
        if n.isEmpty { errors.add("name", "is required") }
        if !modelKinds.contains(kind) { errors.add("kind", "must be one of \(modelKinds.joined(separator: ", "))") }
        if !n.isEmpty, try await DeviceModelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == n).first() != nil {
            errors.add("name", "\(n) already exists")
        }
        try errors.throwIfAny()
        let m = DeviceModelModel()
        m.deploymentID = deploymentID
        m.name = n
        m.vendor = vendor.trimmingCharacters(in: .whitespaces)
        m.kind = kind
        try await env.write { db in
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "device_model", entityID: String(m.id!),
                                          action: "create", after: ["name": m.name, "vendor": m.vendor, "kind": m.kind])
        }
        return m
    }

    public static func deleteModel(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.crm, in: deploymentID)
        guard let m = try await DeviceModelModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The model")
        }
        let boxes = try await StockItemModel.query(on: env.db).filter(\.$modelID == id).count()
        guard boxes == 0 else { throw DomainError(.conflict, code: "model_in_use", "\(boxes) box(es) in stock are \(m.name); the model stays while they exist.") }
        try await env.write { db in
            try await m.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "device_model", entityID: String(id),
                                          action: "delete", before: ["name": m.name])
        }
    }

    // MARK: Stock items

    public struct Filter: Sendable {
        public var state: StockState? = nil
        public var dealerID: Int? = nil
        public var modelID: Int? = nil
        /// MAC (any spelling) or serial, exact; or part of a serial.
        public var search = ""
        public init() {}
    }

    public static func items(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, filter: Filter, limit: Int = 500) async throws -> [StockItemModel] {
        try actor.require(.crm, in: deploymentID)
        let q = StockItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
        if let s = filter.state { q.filter(\.$state == s.rawValue) }
        if let d = filter.dealerID { q.filter(\.$dealerID == d) }
        if let m = filter.modelID { q.filter(\.$modelID == m) }
        let s = filter.search.trimmingCharacters(in: .whitespaces)
        if !s.isEmpty {
            if let mac = SearchKey.mac(s) { q.filter(\.$mac == mac) } else { q.filter(\.$serial, .custom("LIKE"), "%" + s.replacingOccurrences(of: "%", with: "") + "%") }
        }
        return try await q.sort(\.$id, .descending).limit(limit).all()
    }

    public static func counts(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> [StockState: Int] {
        let rows = try await env.db.sql.raw("SELECT state, COUNT(*) AS n FROM stock_items WHERE deployment_id = \(bind: deploymentID) GROUP BY state").all()
        var out: [StockState: Int] = [:]
        for r in rows { if let s = StockState(rawValue: try r.decode(column: "state", as: String.self)) { out[s] = try r.decode(column: "n", as: Int.self) } }
        return out
    }

    public static func item(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> StockItemModel {
        try actor.require(.crm, in: deploymentID)
        guard let i = try await StockItemModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The stock item")
        }
        return i
    }

    public typealias ImportError = CustomerBulkService.ImportError

    public struct ImportResult: Sendable {
        public var added = 0
        public var errors: [ImportError] = []
    }

    /// Imports boxes from CSV rows. The first row may be a header naming `mac`, `serial`, `model`,
    /// `dealer` and `note` in any order; without one the columns are `mac,serial`. Model and
    /// dealer columns take a name or id and override the defaults chosen on the form. Every row
    /// is checked first; if any is wrong nothing is imported and every problem is listed.
    public static func importCSV(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, rows: [(line: Int, fields: [String])],
                                 defaultModelID: Int?, defaultDealerID: Int?) async throws -> ImportResult {
        try actor.require(.crm, in: deploymentID)
        guard let first = rows.first else { throw DomainError(.invalid, code: "empty_file", "The file is empty.") }
        let known = ["mac", "serial", "model", "dealer", "note"]
        let headerNames = first.fields.map { $0.lowercased().filter(\.isLetter) }
        let hasHeader = headerNames.contains("mac") || headerNames.contains("serial")
        let names = hasHeader ? headerNames : ["mac", "serial"]
        var result = ImportResult()
        if hasHeader {
            for (i, n) in names.enumerated() where !n.isEmpty && !known.contains(n) {
                result.errors.append(.init(line: first.line, column: first.fields[i], message: "is not a known column (\(known.joined(separator: ", ")))"))
            }
        }
        let body = hasHeader ? Array(rows.dropFirst()) : rows
        if body.isEmpty { result.errors.append(.init(line: first.line, column: "", message: "no rows to import")) }
        if body.count > 100_000 { result.errors.append(.init(line: first.line, column: "", message: "at most 100,000 rows per import")) }
        guard result.errors.isEmpty else { return result }

        let models = try await DeviceModelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all()
        let dealers = try await DealerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all()
        if let m = defaultModelID, !models.contains(where: { $0.id == m }) { throw DomainError.validation(["model": "is not a model of this deployment"]) }
        if let d = defaultDealerID, !dealers.contains(where: { $0.id == d }) { throw DomainError.validation(["dealer": "is not a dealer of this deployment"]) }
        let existing = try await env.db.sql.raw("SELECT mac, serial FROM stock_items WHERE deployment_id = \(bind: deploymentID)").all()
        var macs = Set<String>(), serials = Set<String>()
        for r in existing {
            let m = try r.decode(column: "mac", as: String.self), s = try r.decode(column: "serial", as: String.self)
            if !m.isEmpty { macs.insert(m) }
            if !s.isEmpty { serials.insert(s) }
        }
        var fileMacs: [String: Int] = [:], fileSerials: [String: Int] = [:]
        var pending: [StockItemModel] = []
        for row in body {
            var v: [String: String] = [:]
            for (i, n) in names.enumerated() where i < row.fields.count { v[n] = row.fields[i].trimmingCharacters(in: .whitespaces) }
            func err(_ col: String, _ msg: String) { result.errors.append(.init(line: row.line, column: col, message: msg)) }
            let rawMac = v["mac"] ?? "", serial = v["serial"] ?? ""
            let mac = rawMac.isEmpty ? "" : (SearchKey.mac(rawMac) ?? "")
            if !rawMac.isEmpty && mac.isEmpty { err("mac", "\"\(rawMac)\" is not a MAC address (12 hex digits)") }
            if rawMac.isEmpty && serial.isEmpty { err("mac", "give a MAC address or a serial number") }
            if !mac.isEmpty {
                if macs.contains(mac) { err("mac", "\(mac) is already in stock") }
                else if let line = fileMacs[mac] { err("mac", "\(mac) appears twice in the file (also line \(line))") }
                fileMacs[mac] = fileMacs[mac] ?? row.line
            }
            if !serial.isEmpty {
                if serials.contains(serial) { err("serial", "\(serial) is already in stock") }
                else if let line = fileSerials[serial] { err("serial", "\(serial) appears twice in the file (also line \(line))") }
                fileSerials[serial] = fileSerials[serial] ?? row.line
            }
            var modelID = defaultModelID
            if let m = v["model"], !m.isEmpty {
                modelID = models.first(where: { String($0.id!) == m || $0.name.caseInsensitiveCompare(m) == .orderedSame })?.id
                if modelID == nil { err("model", "\"\(m)\" is not a model (add it under Stocks › Models)") }
            } else if modelID == nil { err("model", "is empty and no default model was chosen") }
            var dealerID = defaultDealerID
            if let d = v["dealer"], !d.isEmpty {
                dealerID = dealers.first(where: { String($0.id!) == d || $0.name.caseInsensitiveCompare(d) == .orderedSame })?.id
                if dealerID == nil { err("dealer", "\"\(d)\" is not a dealer") }
            }
            guard let modelID else { continue }
            let item = StockItemModel()
            item.deploymentID = deploymentID
            item.modelID = modelID
            item.dealerID = dealerID
            item.mac = mac
            item.serial = serial
            item.state = StockState.inStock.rawValue
            item.note = v["note"] ?? ""
            pending.append(item)
        }
        guard result.errors.isEmpty else { return result }
        let rowsToAdd = pending
        try await env.write { db in
            for item in rowsToAdd { try await item.create(on: db) }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "stock", entityID: "import",
                                          action: "import", after: ["rows": String(rowsToAdd.count)])
        }
        result.added = pending.count
        return result
    }

    /// Sets a box's state by hand (in stock, faulty, returned). An assigned box is unassigned
    /// first, which removes its link from the customer.
    public static func setState(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, state: StockState) async throws -> StockItemModel {
        let item = try await self.item(env, actor: actor, deploymentID: deploymentID, id: id)
        guard StockState.settable.contains(state) else { throw DomainError.validation(["state": "assign a box to a customer with Assign"]) }
        guard item.state != StockState.assigned.rawValue else {
            throw DomainError(.conflict, code: "box_assigned", "This box is assigned to customer \(item.customerID ?? 0); unassign it first.")
        }
        let before = item.state
        item.state = state.rawValue
        try await env.write { db in
            try await item.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "stock", entityID: String(id),
                                          action: "set_state", before: ["state": before], after: ["state": state.rawValue])
        }
        return item
    }

    /// Gives a box to a customer: it becomes the customer's hard-linked device (MAC and serial),
    /// in the same transaction as the box changes to assigned. A box already taken (by a
    /// concurrent assignment too) is refused.
    public static func assign(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, customerID: Int) async throws -> StockItemModel {
        let item = try await self.item(env, actor: actor, deploymentID: deploymentID, id: id)
        guard let state = StockState(rawValue: item.state), state.assignable else {
            throw DomainError(.conflict, code: "box_unavailable", "This box is \(StockState(rawValue: item.state)?.label.lowercased() ?? item.state) and cannot be assigned.")
        }
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID)
        let model = try await DeviceModelModel.find(item.modelID, on: env.db)?.name ?? ""
        let device = try await CustomerService.buildLinkedDevice(env, c, mac: item.mac, serial: item.serial, model: model)
        let now = env.now
        try await env.write { db in
            try await device.create(on: db)
            let rows = try await db.sql.raw("""
                UPDATE stock_items SET state = \(bind: StockState.assigned.rawValue), customer_id = \(bind: customerID), device_id = \(bind: device.id!),
                       updated_at = \(bind: now)
                WHERE id = \(bind: id) AND state IN ('in_stock', 'returned') RETURNING id
                """).all()
            guard !rows.isEmpty else { throw DomainError(.conflict, code: "box_unavailable", "This box was just assigned elsewhere.") }
            try await CustomerService.auditLinkedDevice(device, actor: actor, deploymentID: deploymentID, at: now, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "stock", entityID: String(id),
                                          action: "assign", after: ["customerId": String(customerID), "deviceId": String(device.id!)])
        }
        return try await self.item(env, actor: actor, deploymentID: deploymentID, id: id)
    }

    /// Takes a box back from its customer (the linked device is removed) as returned or faulty.
    public static func unassign(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, to state: StockState) async throws -> StockItemModel {
        let item = try await self.item(env, actor: actor, deploymentID: deploymentID, id: id)
        guard item.state == StockState.assigned.rawValue else { throw DomainError(.conflict, code: "box_not_assigned", "This box is not assigned.") }
        guard state == .returned || state == .faulty || state == .inStock else { throw DomainError.validation(["state": "must be returned, faulty or in stock"]) }
        let customerID = item.customerID, deviceID = item.deviceID
        item.state = state.rawValue
        item.customerID = nil
        item.deviceID = nil
        try await env.write { db in
            if let deviceID { try await CustomerDeviceModel.query(on: db).filter(\.$id == deviceID).delete() }
            try await item.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "stock", entityID: String(id),
                                          action: "unassign", before: ["customerId": customerID.map(String.init)], after: ["state": state.rawValue])
        }
        return item
    }
}
