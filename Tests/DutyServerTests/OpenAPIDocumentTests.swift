import DutyAPI
import Foundation
import Hummingbird
import Testing

/// docs/openapi.yaml and the router agree: every documented path and method is routed (PyYAML reads the file).
@Suite struct OpenAPIDocumentTests {
    @Test func everyDocumentedOperationIsRouted() async throws {
        let script = """
            import yaml, sys, json
            doc = yaml.safe_load(open(sys.argv[1]))
            print(json.dumps([[p, m] for p, ops in doc["paths"].items() for m in ops]))
            """
        let output = try DaemonHarness.run("/usr/bin/env", ["python3", "-c", script, DaemonHarness.packageRoot + "/docs/openapi.yaml"])
        #expect(output.status == 0, "\(output.stderr)")
        let operations = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String]])
        #expect(operations.count >= 9)
        let harness = RouterHarness(backend: FakeBackend())
        for operation in operations {
            let path = operation[0].replacingOccurrences(of: "{id}", with: "d1@1")
            let method: HTTPRequest.Method = operation[1] == "post" ? .post : .get
            let answer = try await harness.send(method, path)
            let reason = (try? answer.decode(APIErrorBody.self))?.reason
            #expect(reason != "no such endpoint", "\(operation)")
        }
    }

    /// `GET /v1/openapi.yaml` answers docs/openapi.yaml byte for byte (run scripts/embed-openapi.py after an edit).
    @Test func theDocumentIsServedAsItIs() async throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: DaemonHarness.packageRoot + "/docs/openapi.yaml"))
        let answer = try await RouterHarness(backend: FakeBackend()).send(.get, "/v1/openapi.yaml")
        #expect(answer.status == 200)
        #expect(answer.contentType == "application/yaml; charset=utf-8")
        #expect(Data(answer.body) == file, "the embedded copy is stale: run scripts/embed-openapi.py")
        let refused = try await RouterHarness(backend: FakeBackend()).send(.get, "/v1/openapi.yaml", peer: "1000,eve,none")
        #expect(refused.status == 403)
    }

    /// The shipped completion scripts are the ones dutyctl generates, and bash can parse its script.
    @Test func completionScriptsAreCurrent() throws {
        let dir = DaemonHarness.packageRoot + "/Units/completions/"
        for (shell, file) in [("bash", "dutyctl.bash"), ("zsh", "_dutyctl"), ("fish", "dutyctl.fish")] {
            let generated = try DaemonHarness.run(DaemonHarness.productsDirectory + "/dutyctl", ["--generate-completion-script", shell])
            #expect(generated.status == 0)
            #expect(generated.stdout == (try String(contentsOfFile: dir + file, encoding: .utf8)), "\(file) is stale")
        }
        #expect(try DaemonHarness.run("/bin/bash", ["-n", dir + "dutyctl.bash"]).status == 0)
    }
}
