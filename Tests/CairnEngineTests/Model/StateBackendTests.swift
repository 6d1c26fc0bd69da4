import Testing

@testable import CairnEngine

/// `--backend`, `CAIRN_BACKEND` and `--to`: the forms a state backend is given in.
@Suite struct StateBackendTests {
    @Test func aBucketInAnotherRegionAndAKMSKeyAreGivenAsOptions() throws {
        #expect(try StateBackend.parse("local", source: "--backend") == .local)
        #expect(try StateBackend.parse("s3://team-state", source: "--backend") == .s3(bucket: "team-state"))
        #expect(try StateBackend.parse("s3://team-state/cairn/", source: "--backend") == .s3(bucket: "team-state", key: "cairn"))
        let full = try StateBackend.parse("s3://team-state/cairn?region=us-west-2&kms_key_id=alias/cairn-state", source: "CAIRN_BACKEND")
        #expect(full == .s3(bucket: "team-state", key: "cairn", region: "us-west-2", kmsKeyId: "alias/cairn-state"))
        #expect(full.description == "s3://team-state/cairn?region=us-west-2&kms_key_id=alias/cairn-state", "printed as it is read")
        #expect(try StateBackend.parse(full.description, source: "--to") == full)
        #expect(
            try StateBackend.parse("s3://team-state?kmsKeyId=arn%3Aaws%3Akms%3Aeu-west-1%3A1%3Akey%2Fk", source: "--to")
                == .s3(bucket: "team-state", region: nil, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k"))
    }

    @Test func anOptionCairnDoesNotKnowIsRefusedNamingTheForm() throws {
        for text in [
            "s3://team-state/cairn?regoin=us-west-2", "s3://team-state?region=", "s3://team-state?region=Mars", "s3://team-state?kms_key_id",
        ] {
            #expect(throws: StateBackendError.self) { try StateBackend.parse(text, source: "--backend") }
            do {
                _ = try StateBackend.parse(text, source: "--backend")
            } catch let error as StateBackendError {
                #expect(error.description.contains("s3://BUCKET/PREFIX?region=REGION&kms_key_id=KEY"), "\(error)")
            }
        }
    }
}
