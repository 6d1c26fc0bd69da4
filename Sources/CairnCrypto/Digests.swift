internal import CCrypto

/// SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto.
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// Returns the 32-byte SHA-256 digest of `bytes` (`[UInt8]`, `Data`, `String.UTF8View`, …).
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        evpDigest(bytes, EVP_sha256())
    }
}

/// MD5, only for protocol checksums such as S3's `Content-MD5`; it is not a secure hash.
public enum MD5 {
    /// The digest length in bytes.
    public static let byteCount = 16

    /// Returns the 16-byte MD5 digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        evpDigest(bytes, EVP_md5())
    }
}

/// SHA-1, only where AWS's tools name files by it (the IAM Identity Center token cache, the CLI's credential cache);
/// it is not a secure hash.
public enum SHA1 {
    /// The digest length in bytes.
    public static let byteCount = 20

    /// Returns the 20-byte SHA-1 digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        evpDigest(bytes, EVP_sha1())
    }
}

/// HMAC-SHA256 (RFC 2104), as used by AWS Signature Version 4.
public enum HMACSHA256 {
    /// Returns the 32-byte HMAC-SHA256 of `message` under `key` (any key length is allowed).
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = withNonNullBytes(key) { keyPointer, keyCount in
            withNonNullBytes(message) { messagePointer, messageCount in
                HMAC(EVP_sha256(), keyPointer, Int32(keyCount), messagePointer, messageCount, &out, &length)
            }
        }
        // Only an allocation failure inside OpenSSL can get here; there is no sensible recovery.
        precondition(result != nil, "HMAC-SHA256 failed: \(openSSLErrorDescription())")
        return Array(out.prefix(Int(length)))
    }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, two digits per byte (e.g. `[0xAB, 0x01]` → `"ab01"`).
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Helpers shared by this module

/// One-shot EVP digest; avoids copying when the sequence already has contiguous storage.
private func evpDigest(_ bytes: some Sequence<UInt8>, _ md: OpaquePointer?) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok =
        bytes.withContiguousStorageIfAvailable { buffer in
            withNonNullBytes(buffer) { EVP_Digest($0, $1, &out, &length, md, nil) }
        } ?? withNonNullBytes(Array(bytes)) { EVP_Digest($0, $1, &out, &length, md, nil) }
    precondition(ok == 1, "EVP_Digest failed: \(openSSLErrorDescription())")
    return Array(out.prefix(Int(length)))
}

/// Calls `body` with a pointer that is never NULL, even for empty input:
/// some OpenSSL entry points treat a NULL pointer differently from an empty buffer.
func withNonNullBytes<R>(_ buffer: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    if let base = buffer.baseAddress { return body(base, buffer.count) }
    var zero: UInt8 = 0
    return body(&zero, 0)
}

func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    bytes.withUnsafeBufferPointer { withNonNullBytes($0, body) }
}

/// The oldest queued OpenSSL error as text (and clears the queue), for error messages.
func openSSLErrorDescription() -> String {
    defer { ERR_clear_error() }
    let code = ERR_get_error()
    guard code != 0 else { return "unknown OpenSSL error" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
