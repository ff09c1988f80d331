import Foundation
import Testing

@testable import DutyAPI

@Suite struct AcknowledgeRequestTests {
    @Test func decodesKnownFields() throws {
        let request = try APICoding.decode(AcknowledgeRequest.self, from: Data(#"{"note":"入户完成","person":"cadre-1"}"#.utf8))
        #expect(request == AcknowledgeRequest(note: "入户完成", person: "cadre-1"))
        #expect(try APICoding.decode(AcknowledgeRequest.self, from: Data("{}".utf8)) == AcknowledgeRequest())
    }

    @Test(arguments: [#"{"note":"x","force":true}"#, #"{"Note":"x"}"#, #"{"person_id":"a"}"#])
    func rejectsUnknownFields(_ json: String) {
        #expect(throws: (any Error).self) { try APICoding.decode(AcknowledgeRequest.self, from: Data(json.utf8)) }
    }

    @Test func rejectsWrongTypes() {
        #expect(throws: DecodingError.self) { try APICoding.decode(AcknowledgeRequest.self, from: Data(#"{"note":5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try APICoding.decode(AcknowledgeRequest.self, from: Data(#"["note"]"#.utf8)) }
    }

    @Test func encodesSnakeCaseKeys() throws {
        let response = AcknowledgeResponse(occurrenceId: "d@1", person: "p", recorded: true, acknowledgements: 1)
        let object = try JSONSerialization.jsonObject(with: APICoding.encode(response)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["occurrence_id", "person", "recorded", "acknowledgements"])
        #expect(try APICoding.decode(AcknowledgeResponse.self, from: APICoding.encode(response)) == response)
    }
}
