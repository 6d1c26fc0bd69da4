internal import CCrypto

/// Errors thrown by CairnCrypto.
public enum CryptoError: Error, Equatable, Sendable {
    /// The key is not the required length (AES-256-GCM needs 32 bytes).
    case invalidKeySize
    /// The nonce is not the required length (AES-GCM here uses 12 bytes).
    case invalidNonceSize
    /// The tag did not verify: wrong key, wrong associated data, or the data was altered.
    case authenticationFailed
    /// The sealed box is too short to contain a nonce and a tag.
    case malformed
    /// OpenSSL reported an unexpected failure; the text is its error string.
    case openssl(String)
}

/// AES-256-GCM authenticated encryption.
///
/// The sealed format is `nonce (12 bytes) || ciphertext || tag (16 bytes)`, so a sealed box
/// is self-contained and `open` needs only the key (and the same associated data).
public enum AESGCM {
    /// Required key length in bytes.
    public static let keySize = 32
    /// Nonce length in bytes (the GCM standard size).
    public static let nonceSize = 12
    /// Authentication tag length in bytes.
    public static let tagSize = 16

    /// Encrypts and authenticates `plaintext`.
    /// - Parameters:
    ///   - key: 32 bytes.
    ///   - nonce: 12 bytes; a fresh random nonce is used when nil. Never reuse a nonce with the same key.
    ///   - aad: associated data that is authenticated but not encrypted (must be passed again to `open`).
    /// - Returns: `nonce || ciphertext || tag`.
    /// - Throws: `CryptoError.invalidKeySize`, `.invalidNonceSize`, or `.openssl`.
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8]? = nil, authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        guard key.count == keySize else { throw CryptoError.invalidKeySize }
        let nonce = nonce ?? SecureRandom.bytes(count: nonceSize)
        guard nonce.count == nonceSize else { throw CryptoError.invalidNonceSize }

        let cipher = try CipherContext(encrypt: true, key: key, nonce: nonce)
        try cipher.update(aad: aad)
        var out = try cipher.update(plaintext)
        out += try cipher.finish()
        var tag = [UInt8](repeating: 0, count: tagSize)
        try check(EVP_CIPHER_CTX_ctrl(cipher.context, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), &tag))
        return nonce + out + tag
    }

    /// Verifies and decrypts a box produced by `seal`.
    /// - Throws: `CryptoError.authenticationFailed` if the key, the associated data or any byte
    ///   is wrong (no plaintext is ever returned in that case); `.invalidKeySize`; `.malformed`.
    public static func open(_ sealed: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
        guard key.count == keySize else { throw CryptoError.invalidKeySize }
        guard sealed.count >= nonceSize + tagSize else { throw CryptoError.malformed }
        let nonce = Array(sealed[..<nonceSize])
        let ciphertext = Array(sealed[nonceSize..<sealed.count - tagSize])
        var tag = Array(sealed.suffix(tagSize))

        let cipher = try CipherContext(encrypt: false, key: key, nonce: nonce)
        try cipher.update(aad: aad)
        let plaintext = try cipher.update(ciphertext)
        try check(EVP_CIPHER_CTX_ctrl(cipher.context, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag))
        // The tag is only checked in Final; the decrypted bytes are discarded unless it passes.
        guard (try? cipher.finish()) != nil else { throw CryptoError.authenticationFailed }
        return plaintext
    }
}

/// Owns an `EVP_CIPHER_CTX` for AES-256-GCM and frees it on deinit.
private final class CipherContext {
    let context: OpaquePointer
    private let encrypt: Bool
    /// EVP update lengths are `Int32`; larger inputs are fed in chunks.
    private static let chunk = 1 << 30

    init(encrypt: Bool, key: [UInt8], nonce: [UInt8]) throws {
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl(openSSLErrorDescription()) }
        self.context = context
        self.encrypt = encrypt
        // Two-step init: choose the cipher, set the nonce length, then supply key and nonce.
        try check(EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil, encrypt ? 1 : 0))
        try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil))
        try check(EVP_CipherInit_ex(context, nil, nil, key, nonce, encrypt ? 1 : 0))
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    func update(aad: [UInt8]) throws {
        var start = 0
        while start < aad.count {
            let end = min(start + Self.chunk, aad.count)
            var written: Int32 = 0
            try aad[start..<end].withUnsafeBufferPointer { input in
                try check(EVP_CipherUpdate(context, nil, &written, input.baseAddress, Int32(input.count)))
            }
            start = end
        }
    }

    /// GCM is a stream mode: the output has exactly the input's length.
    func update(_ input: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: input.count)
        var start = 0
        while start < input.count {
            let end = min(start + Self.chunk, input.count)
            var written: Int32 = 0
            try input[start..<end].withUnsafeBufferPointer { source in
                try out[start..<end].withUnsafeMutableBufferPointer { destination in
                    try check(
                        EVP_CipherUpdate(
                            context, destination.baseAddress, &written, source.baseAddress, Int32(source.count)))
                }
            }
            start = end
        }
        return out
    }

    /// Finishes the operation; when decrypting this is where the tag is verified.
    func finish() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: AESGCM.tagSize)  // GCM writes nothing here; room to spare.
        var written: Int32 = 0
        try check(EVP_CipherFinal_ex(context, &out, &written))
        return Array(out.prefix(Int(written)))
    }
}

/// OpenSSL returns 1 on success.
private func check(_ result: Int32) throws {
    guard result == 1 else { throw CryptoError.openssl(openSSLErrorDescription()) }
}
