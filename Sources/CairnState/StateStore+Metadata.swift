import Foundation

extension StateStore {
    /// Keys of the `meta` table that belong to the store itself and cannot be set through `setMetadata`.
    static let reservedMetadataKeys: Set<String> = ["format", "lineage", "serial", "stack", "environment", "created_at"]

    /// A text value the engine keeps with the state (the region the stack lives in), or nil when unset.
    ///
    /// - Throws: `StateError`.
    public func metadata(_ key: String) throws -> String? {
        try withConnection { connection in
            try connection.withStatement("SELECT value FROM meta WHERE key = ?") { s in
                try s.bind(1, key)
                return try s.step() ? s.optionalText(0) : nil
            }
        }
    }

    /// Sets a text value kept with the state, in its own transaction. The store's own keys
    /// (lineage, serial, …) are refused.
    ///
    /// - Throws: `StateError`; a programming error for a reserved key.
    public func setMetadata(_ key: String, _ value: String) throws {
        precondition(!Self.reservedMetadataKeys.contains(key), "meta key \(key) belongs to the state store")
        try withConnection { try storeMetadata(key, value, on: $0) }
    }

    func storeMetadata(_ key: String, _ value: String, on connection: Connection) throws {
        precondition(!Self.reservedMetadataKeys.contains(key), "meta key \(key) belongs to the state store")
        try connection.withStatement("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value") { s in
            try s.bind(1, key)
            try s.bind(2, value)
            try s.run()
        }
    }

    /// Removes a text value kept with the state (a note that does not travel further, such as `cairn state pull`'s).
    func removeMetadata(_ key: String) throws {
        precondition(!Self.reservedMetadataKeys.contains(key), "meta key \(key) belongs to the state store")
        try withConnection { connection in
            try connection.withStatement("DELETE FROM meta WHERE key = ?") { s in
                try s.bind(1, key)
                try s.run()
            }
        }
    }
}
