import XCTest
@testable import MLVCore

/// Which proxy an S3 endpoint is reached through, from the environment.
final class ProxySettingsTests: XCTestCase {
    func testSchemeNoProxyAndForms() {
        let http = URL(string: "http://minio.lab:9000")!
        let https = URL(string: "https://s3.eu-west-1.amazonaws.com")!
        let env = ["HTTP_PROXY": "http://proxy.corp:3128", "https_proxy": "proxy.corp:8443"]
        XCTAssertEqual(ProxySettings.proxy(for: http, environment: env), ProxySettings(host: "proxy.corp", port: 3128))
        XCTAssertEqual(ProxySettings.proxy(for: https, environment: env), ProxySettings(host: "proxy.corp", port: 8443))
        XCTAssertNil(ProxySettings.proxy(for: http, environment: [:]))
        XCTAssertNil(ProxySettings.proxy(for: http, environment: ["HTTPS_PROXY": "http://p:1"]), "an https proxy is not used for http")
        XCTAssertNil(ProxySettings.proxy(for: http, environment: env.merging(["NO_PROXY": "localhost, .lab"]) { $1 }))
        XCTAssertNil(ProxySettings.proxy(for: http, environment: env.merging(["no_proxy": "minio.lab:9000"]) { $1 }))
        XCTAssertNil(ProxySettings.proxy(for: https, environment: env.merging(["NO_PROXY": "*"]) { $1 }))
        XCTAssertNotNil(ProxySettings.proxy(for: https, environment: env.merging(["NO_PROXY": "amazonaws.org"]) { $1 }))
        XCTAssertEqual(ProxySettings.proxy(for: http, environment: ["HTTP_PROXY": "http://p"]), ProxySettings(host: "p", port: 80))
    }
}
