import Foundation
import TestSupport
import Testing

@testable import CairnAWS

@Suite struct INIFileTests {
    @Test func sectionsKeysValuesAndComments() throws {
        let text = """
            # a comment
            ; another comment
            [default]
            region = us-east-1
            Output=json
              aws_secret_access_key =  abc=def/ghi+jkl\u{20}\u{20}

            [profile dev]
            region=eu-west-1\r
            role_arn = arn:aws:iam::123456789012:role/deploy
            empty =
            [ profile spaced ]
            region = ap-south-1
            [default]
            cli_pager =
            """
        let ini = try INIFile(parsing: text, path: "/tmp/config")
        #expect(Set(ini.sections.keys) == ["default", "profile dev", "profile spaced"])
        // Keys are lower-cased, values trimmed; '=' inside a value is kept; a repeated section merges.
        #expect(
            ini.sections["default"]?.values == ["region": "us-east-1", "output": "json", "aws_secret_access_key": "abc=def/ghi+jkl", "cli_pager": ""])
        #expect(ini.sections["profile dev"]?.values == ["region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/deploy", "empty": ""])
        #expect(ini.sections["profile spaced"]?.values == ["region": "ap-south-1"])
    }

    @Test func nestedSubSections() throws {
        let text = """
            [profile dev]
            services = local
            s3 =
              addressing_style = path
              max_concurrent_requests = 20
            region = us-east-1

            [services local]
            s3 =
              endpoint_url = http://localhost:9000
            \tdummy = tab-indented
            cloudwatch_logs =
                endpoint_url = http://localhost:9001
            ecr = http://not-nested
              endpoint_url = http://ignored-parent-has-a-value
            """
        let ini = try INIFile(parsing: text, path: "config")
        let dev = try #require(ini.sections["profile dev"])
        #expect(dev.values == ["services": "local", "s3": "", "region": "us-east-1"])
        #expect(dev.nested == ["s3": ["addressing_style": "path", "max_concurrent_requests": "20"]])
        let services = try #require(ini.sections["services local"])
        #expect(
            services.nested == [
                "s3": ["endpoint_url": "http://localhost:9000", "dummy": "tab-indented"],
                "cloudwatch_logs": ["endpoint_url": "http://localhost:9001"],
            ])
        // An indented line under a key that has a value is an ordinary key.
        #expect(services.values["ecr"] == "http://not-nested")
        #expect(services.values["endpoint_url"] == "http://ignored-parent-has-a-value")
    }

    @Test func malformedLinesAreErrorsWithTheirLineNumber() {
        let cases: [(String, String)] = [
            (
                "[default]\nregion = us-east-1\nthis is not a setting\n",
                "Cannot parse /home/u/.aws/config, line 3: \"this is not a setting\" is not of the form key = value; fix the file."
            ),
            (
                "# header\n\n[profile dev\nregion = x\n",
                "Cannot parse /home/u/.aws/config, line 3: \"[profile dev\" is not a valid section header: write it as [name]; fix the file."
            ),
            ("[]\n", "Cannot parse /home/u/.aws/config, line 1: \"[]\" is not a valid section header: write it as [name]; fix the file."),
            (
                "region = us-east-1\n[default]\n",
                "Cannot parse /home/u/.aws/config, line 1: \"region = us-east-1\" comes before any [section] header; fix the file."
            ),
            (
                "[default]\r\nregion = us-east-1\r\n = value\r\n",
                "Cannot parse /home/u/.aws/config, line 3: the key before '=' is empty; fix the file."
            ),
        ]
        for (text, message) in cases {
            let error = #expect(throws: AWSConfigurationError.self) { try INIFile(parsing: text, path: "/home/u/.aws/config") }
            #expect(error?.message == message)
        }
    }
}

@Suite struct SharedConfigTests {
    @Test func readsTheFilesUnderHOMEWithTheCLIsNamingRules() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(
            config: """
                [default]
                region = us-east-1
                [profile dev]
                region = eu-west-1
                aws_access_key_id = AKIACONFIG
                aws_secret_access_key = config-secret
                [prod]
                region = not-a-profile-in-config
                [services local]
                s3 =
                  endpoint_url = http://localhost:9000
                [profile local]
                services = local
                """,
            credentials: """
                [default]
                aws_access_key_id = AKIADEFAULT
                aws_secret_access_key = default-secret
                [dev]
                aws_access_key_id = AKIACREDENTIALS
                region =
                [ci]
                aws_access_key_id = AKIACI
                aws_secret_access_key = ci-secret
                """)
        let config = try SharedConfig.load(environment: home.environment())
        #expect(config.configPath == home.configPath)
        #expect(config.credentialsPath == home.credentialsPath)
        #expect(config.hasProfile("default"))
        #expect(config.hasProfile("dev"))
        #expect(config.hasProfile("ci"))  // credentials file only
        #expect(config.hasProfile("local"))
        #expect(!config.hasProfile("prod"))  // `[prod]` in config is not a profile: it must be `[profile prod]`
        #expect(!config.hasProfile("services local"))

        // The credentials file wins for a key in both; an empty value counts as unset.
        #expect(config.value("aws_access_key_id", profile: "dev") == "AKIACREDENTIALS")
        #expect(config.file(definingKey: "aws_access_key_id", profile: "dev") == home.credentialsPath)
        #expect(config.value("aws_secret_access_key", profile: "dev") == "config-secret")
        #expect(config.value("region", profile: "dev") == "eu-west-1")
        #expect(config.value("region", profile: "default") == "us-east-1")
        #expect(config.value("region", profile: "ci") == nil)
        #expect(config.file(definingKey: "region", profile: "default") == home.configPath)
        #expect(config.value("region", profile: "prod") == nil)

        #expect(config.serviceEndpoint(profile: "local", serviceKey: "s3") == "http://localhost:9000")
        #expect(config.serviceEndpoint(profile: "local", serviceKey: "ecr") == nil)
        #expect(config.serviceEndpoint(profile: "dev", serviceKey: "s3") == nil)
    }

    @Test func profileDefaultIsAcceptedInConfig() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "[profile default]\nregion = sa-east-1\n")
        let config = try SharedConfig.load(environment: home.environment())
        #expect(config.hasProfile("default"))
        #expect(config.value("region", profile: "default") == "sa-east-1")
    }

    @Test func theEnvironmentNamesTheFiles() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let configFile = try home.file("my-config", "[profile x]\nregion = ca-central-1\n")
        let credentialsFile = try home.file("my-credentials", "[x]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n")
        let config = try SharedConfig.load(environment: [
            "HOME": "/nonexistent", "AWS_CONFIG_FILE": configFile, "AWS_SHARED_CREDENTIALS_FILE": credentialsFile,
        ])
        #expect(config.configPath == configFile)
        #expect(config.value("region", profile: "x") == "ca-central-1")
        #expect(config.value("aws_access_key_id", profile: "x") == "AKIAX")

        // `~/` expands to HOME.
        try home.write(config: "[profile tilde]\nregion = eu-north-1\n")
        let tilde = try SharedConfig.load(environment: ["HOME": home.path, "AWS_CONFIG_FILE": "~/.aws/config"])
        #expect(tilde.configPath == home.configPath)
        #expect(tilde.value("region", profile: "tilde") == "eu-north-1")
    }

    @Test func missingFilesAreEmpty() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let config = try SharedConfig.load(environment: home.environment())
        #expect(config.config.sections.isEmpty)
        #expect(config.credentials.sections.isEmpty)
        #expect(!config.hasProfile("default"))
    }

    @Test func aMalformedFileNamesItsPathAndLine() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(credentials: "[default]\naws_access_key_id = AKIA\naws_secret_access_key\n")
        let error = #expect(throws: AWSConfigurationError.self) { try SharedConfig.load(environment: home.environment()) }
        #expect(
            error?.message == "Cannot parse \(home.credentialsPath), line 3: \"aws_secret_access_key\" is not of the form key = value; fix the file.")
    }

    @Test func aFileThatIsNotUTF8IsAnError() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        try home.write(config: "")
        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: URL(fileURLWithPath: home.configPath))
        let error = #expect(throws: AWSConfigurationError.self) { try SharedConfig.load(environment: home.environment()) }
        #expect(error?.message == "Cannot parse \(home.configPath): it is not UTF-8 text; fix the file.")
    }
}
