import CairnCrypto
import Foundation
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

@Suite struct DigestTests {
    @Test func sha256KnownVectors() {
        #expect(SHA256.hash([UInt8]()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(bytes("abc")).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Data, String.UTF8View and non-contiguous sequences take the same path.
        #expect(SHA256.hash(Data("abc".utf8)) == SHA256.hash(bytes("abc")))
        #expect(SHA256.hash("abc".utf8) == SHA256.hash(bytes("abc")))
        #expect(SHA256.hash(bytes("abc").lazy.map { $0 }) == SHA256.hash(bytes("abc")))
    }

    @Test func md5KnownVectors() {
        #expect(MD5.hash([UInt8]()).hexString == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hash(bytes("abc")).hexString == "900150983cd24fb0d6963f7d28e17f72")
    }

    /// RFC 4231 test cases 1 and 2.
    @Test func hmacSHA256RFC4231() {
        #expect(
            HMACSHA256.authenticate(key: [UInt8](repeating: 0x0B, count: 20), message: bytes("Hi There")).hexString
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            HMACSHA256.authenticate(key: bytes("Jefe"), message: bytes("what do ya want for nothing?")).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hmacAcceptsEmptyKeyAndMessage() {
        // Well-known value of HMAC-SHA256 with an empty key over an empty message.
        #expect(
            HMACSHA256.authenticate(key: [], message: []).hexString
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func hexStringIsLowercaseTwoDigitsPerByte() {
        #expect([UInt8]([0x00, 0x0F, 0xAB, 0xFF]).hexString == "000fabff")
        #expect([UInt8]().hexString == "")
    }
}

@Suite struct SecureRandomTests {
    @Test func returnsRequestedCountAndVaries() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        let first = SecureRandom.bytes(count: 32)
        #expect(first.count == 32)
        #expect(first != SecureRandom.bytes(count: 32))
    }
}

@Suite struct AESGCMTests {
    let key = SecureRandom.bytes(count: 32)

    @Test func roundTrip() throws {
        let message = bytes("attack at dawn")
        let sealed = try AESGCM.seal(message, key: key, authenticating: bytes("header"))
        #expect(sealed.count == 12 + message.count + 16)
        #expect(try AESGCM.open(sealed, key: key, authenticating: bytes("header")) == message)
    }

    @Test func roundTripEmptyPlaintext() throws {
        let sealed = try AESGCM.seal([], key: key)
        #expect(sealed.count == 28)
        #expect(try AESGCM.open(sealed, key: key) == [])
    }

    @Test func randomNonceDiffersEachTime() throws {
        #expect(try AESGCM.seal(bytes("x"), key: key) != AESGCM.seal(bytes("x"), key: key))
    }

    @Test func wrongKeyFails() throws {
        let sealed = try AESGCM.seal(bytes("secret"), key: key)
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(sealed, key: SecureRandom.bytes(count: 32))
        }
    }

    @Test(arguments: [0, 12, 13, 29])  // nonce, first ciphertext byte, …, tag
    func tamperedByteFails(position: Int) throws {
        var sealed = try AESGCM.seal(bytes("a sixteen byte!!"), key: key)
        sealed[position] ^= 0x01
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(sealed, key: key) }
    }

    @Test func wrongAssociatedDataFails() throws {
        let sealed = try AESGCM.seal(bytes("secret"), key: key, authenticating: bytes("v1"))
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(sealed, key: key, authenticating: bytes("v2"))
        }
    }

    @Test func rejectsBadSizes() {
        #expect(throws: CryptoError.invalidKeySize) { try AESGCM.seal([1], key: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.invalidNonceSize) { try AESGCM.seal([1], key: key, nonce: [0, 1, 2]) }
        #expect(throws: CryptoError.invalidKeySize) { try AESGCM.open([UInt8](repeating: 0, count: 40), key: [1]) }
        #expect(throws: CryptoError.malformed) { try AESGCM.open([UInt8](repeating: 0, count: 27), key: key) }
    }

    /// The GCM specification's test cases 13 and 14 (AES-256, all-zero key and 96-bit nonce).
    @Test func knownVectors() throws {
        let zeroKey = [UInt8](repeating: 0, count: 32)
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        #expect(
            try AESGCM.seal([], key: zeroKey, nonce: zeroNonce).suffix(16).hexString
                == "530f8afbc74536b9a963b4f1c4cb738b")
        let sealed = try AESGCM.seal([UInt8](repeating: 0, count: 16), key: zeroKey, nonce: zeroNonce)
        #expect(sealed == zeroNonce + hex("cea7403d4d606b6e074ec5d3baf39d18") + hex("d0d1c8a799996bf0265b98b5d48ab919"))
        #expect(try AESGCM.open(sealed, key: zeroKey) == [UInt8](repeating: 0, count: 16))
    }
}
