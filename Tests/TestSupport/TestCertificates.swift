/// Fixed test certificates, so that no test needs openssl to get a CA bundle that parses.
public enum TestCertificates {
    /// A self-signed certificate (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=example -days 36500).
    public static let selfSignedPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBezCCASGgAwIBAgIUWfs1PT/ZSmzO3B5ZSn6r1cSTeKUwCgYIKoZIzj0EAwIw
        EjEQMA4GA1UEAwwHZXhhbXBsZTAgFw0yNjEyMDUwMjUyMDFaGA8yMTI2MTExMTAy
        NTIwMVowEjEQMA4GA1UEAwwHZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEH
        A0IABBWySYxJ8Do7R2+Cv6slTt8sD10yc22MxbT0SiRXF0bnBW191zfHPjS0zjOa
        rLSZsVCWhsqJTTURNHbpDyMNDDejUzBRMB0GA1UdDgQWBBSeDXQrLE7FZKn5FcoO
        8QMyKwWmyDAfBgNVHSMEGDAWgBSeDXQrLE7FZKn5FcoO8QMyKwWmyDAPBgNVHRMB
        Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDZ4hfiPJUXhe6hU39OMdEPoq2G
        DawPEfxfJno2Cny5xQIgNfIGrTvaY4WtGDk+tTJHEd4vOJc2H1YCVtTgkdukNLY=
        -----END CERTIFICATE-----
        """
}
