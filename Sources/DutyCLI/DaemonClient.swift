import DutyAPI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over the daemon's Unix socket: one request per connection (`Connection: close`),
/// the response read to end of stream, `Content-Length` and chunked bodies understood.
struct DaemonClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    enum ClientError: Error, CustomStringConvertible {
        /// The socket is missing, refuses connections or may not be opened: the daemon is not reachable.
        case unavailable(String)
        /// The daemon answered something that is not HTTP.
        case protocolError(String)

        var description: String {
            switch self {
            case .unavailable(let why): return why
            case .protocolError(let why): return "bad answer from dutyd: \(why)"
            }
        }
    }

    static let defaultSocket = "/run/dutyd/dutyd.sock"
    static let maximumResponse = 256 * 1024 * 1024

    var path: String
    var timeout: TimeInterval = 60

    func request(_ method: String, _ target: String, body: Data? = nil) throws(ClientError) -> Response {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unavailable("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .unavailable("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            switch code {
            case ENOENT, ECONNREFUSED:
                throw .unavailable("dutyd is not running (no one listens on \(path))")
            case EACCES, EPERM:
                throw .unavailable("permission denied on \(path) (are you in the socket's group?)")
            default:
                throw .unavailable("cannot connect to \(path): \(String(cString: strerror(code)))")
            }
        }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: dutyctl/\(DutyAPIVersion.client)\r\n"
        head += "Accept: application/json\r\nConnection: close\r\n"
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method == "POST" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        var message = Data(head.utf8)
        if let body { message.append(body) }
        let outgoing = [UInt8](message)
        var offset = 0
        while offset < outgoing.count {
            let n = outgoing.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unavailable("send to \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { throw .unavailable("dutyd did not answer within \(Int(timeout))s") }
                throw .unavailable("read from \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if received.count > Self.maximumResponse { throw .protocolError("response too large") }
        }
        return try Self.parse(received)
    }

    /// Parses a complete HTTP/1.1 response.
    static func parse(_ data: Data) throws(ClientError) -> Response {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else { throw .protocolError("no complete response head") }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw .protocolError("bad status line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { throw .protocolError("body shorter than Content-Length") }
            body = body.prefix(length)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws(ClientError) -> Data {
        var out = Data()
        var index = data.startIndex
        let crlf = Data("\r\n".utf8)
        while true {
            guard let lineEnd = data.range(of: crlf, in: index..<data.endIndex) else { throw .protocolError("bad chunk") }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .protocolError("bad chunk size") }
            if size == 0 { return out }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size + 2 else { throw .protocolError("truncated chunk") }
            let stop = data.index(start, offsetBy: size)
            out.append(data[start..<stop])
            index = data.index(stop, offsetBy: 2)
        }
    }
}

enum DutyAPIVersion {
    static let client = "1"
}
