import CairnEngine
import CairnJSON

/// Settings of a live resource that its declaration does not model (a task definition's volumes, a pipeline's
/// triggers), under AWS's own names and in AWS's own form. They are never silently dropped: an update that rewrites the
/// whole resource keeps them as AWS has them (`keep`), and `cairn generate` reads them (`read`) to report each (`report`).
/// They are not attributes: what AWS fills in by itself (a V2 pipeline's default triggers) would otherwise show as drift
/// that no apply could remove.
struct UnmodeledSettings {
    /// The members' names, as AWS writes them.
    let names: [String]
    /// Values that say no more than AWS's default, left out like an absent one (besides null, false, `[]` and `{}`).
    let defaults: [String: [JSON]]

    init(_ names: [String], defaults: [String: [JSON]] = [:]) {
        self.names = names
        self.defaults = defaults
    }

    /// The members of `live` among `names` that say more than AWS's default.
    func read(_ live: JSON?) -> [String: JSON] {
        var found: [String: JSON] = [:]
        for name in names {
            guard let value = live?[name], !Self.isEmpty(value), !(defaults[name] ?? []).contains(value) else { continue }
            found[name] = value
        }
        return found
    }

    /// `members`, the wire form of a write that replaces the resource, with each of these settings `live` has and
    /// `members` does not: what Cairn does not manage stays as it is.
    func keep(from live: JSON?, into members: inout [String: JSON]) {
        for (name, value) in read(live) where members[name] == nil { members[name] = value }
    }

    /// Reports each of these settings `settings` holds as what the declaration cannot say (`label` names the place:
    /// `containers.app`), kept as it is by the next apply.
    func report(_ settings: JSON?, label: String, type: String, in context: SwiftContext) {
        for (name, _) in read(settings).sorted(by: { $0.key < $1.key }) {
            context.cannotExpress(label.isEmpty ? name : "\(label).\(name)", "\(type) does not model it; an apply keeps it as it is")
        }
    }

    static func isEmpty(_ value: JSON) -> Bool {
        switch value {
        case .null, .bool(false): return true
        case .array(let items): return items.isEmpty
        case .object(let members): return members.isEmpty
        case .string(let text): return text.isEmpty
        default: return false
        }
    }
}
