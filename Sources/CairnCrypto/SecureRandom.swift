internal import CCrypto

/// Cryptographically secure random bytes from OpenSSL's CSPRNG (`RAND_bytes`).
public enum SecureRandom {
    /// Returns `count` random bytes. Traps if the CSPRNG fails, because returning
    /// predictable bytes (for keys or nonces) would be worse than stopping.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "invalid random byte count \(count)")
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = RAND_bytes(&out, Int32(count))
        precondition(ok == 1, "RAND_bytes failed: \(openSSLErrorDescription())")
        return out
    }
}
