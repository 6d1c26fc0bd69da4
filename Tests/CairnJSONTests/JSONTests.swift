import Testing

@testable import CairnJSON

struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSON(parsing: #"{"a": [1, 2.5, -3e2, true, false, null], "b": "x\"y\u00e9\ud83d\ude00\n"}"#)
        #expect(value["a"] == [1, 2.5, -300.0, true, false, nil])
        #expect(value["b"] == "x\"yé😀\n")
    }

    @Test func printsSortedCompactAndRoundTrips() throws {
        let value: JSON = ["b": 1, "a": ["z": nil, "y": "s"], "c": [true, 1.5]]
        #expect(value.description == #"{"a":{"y":"s","z":null},"b":1,"c":[true,1.5]}"#)
        #expect(try JSON(parsing: value.description) == value)
        #expect(try JSON(parsing: value.prettyDescription) == value)
    }

    @Test func escapesControlCharacters() {
        #expect(JSON.string("a\u{01}b").description == #""a\u0001b""#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1,}", "\"\\x\""])
    func rejectsInvalidText(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
    }

    @Test func keepsIntegersExact() throws {
        #expect(try JSON(parsing: "9007199254740993") == .int(9_007_199_254_740_993))
        #expect(JSON.double(3).description == "3")
    }
}
