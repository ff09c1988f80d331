/// `GET /v1/status`.
public struct StatusReport: Codable, Sendable, Hashable {
    public struct Schedules: Codable, Sendable, Hashable {
        public var directories: [String]
        public var files: [String]
        public init(directories: [String], files: [String]) {
            self.directories = directories
            self.files = files
        }
    }

    public struct NextDue: Codable, Sendable, Hashable {
        public var at: String
        public var title: String?
        public init(at: String, title: String?) {
            self.at = at
            self.title = title
        }
    }

    public struct LastReload: Codable, Sendable, Hashable {
        public var ok: Bool
        public var errors: [String]
        /// Loads since start, the initial one included.
        public var count: Int
        public init(ok: Bool, errors: [String], count: Int) {
            self.ok = ok
            self.errors = errors
            self.count = count
        }
    }

    public var version: String
    /// The daemon's clock (simulated or the host's).
    public var now: String
    public var clock: String
    public var uptimeSeconds: Double
    public var schedules: Schedules
    public var duties: Int
    public var nextDue: NextDue?
    public var lastReload: LastReload
    /// Ledger rows by state (`pending`, `delivering`, `delivered`, `failed`, `missed`).
    public var ledger: [String: Int]
    public var socket: String
    public var socketActivated: Bool

    public init(
        version: String, now: String, clock: String, uptimeSeconds: Double, schedules: Schedules, duties: Int,
        nextDue: NextDue?, lastReload: LastReload, ledger: [String: Int], socket: String, socketActivated: Bool
    ) {
        self.version = version
        self.now = now
        self.clock = clock
        self.uptimeSeconds = uptimeSeconds
        self.schedules = schedules
        self.duties = duties
        self.nextDue = nextDue
        self.lastReload = lastReload
        self.ledger = ledger
        self.socket = socket
        self.socketActivated = socketActivated
    }
}

/// `POST /v1/reload`: the result of loading the schedules again (a broken schedule keeps the old ones).
public struct ReloadResult: Codable, Sendable, Hashable {
    public var ok: Bool
    public var duties: Int
    public var errors: [String]
    /// What the new schedules leave without effect: changes whose duty, role or township is gone (a rename),
    /// or whose occurrence is no longer one of its duty's. Empty when there are none.
    public var warnings: [String]

    public init(ok: Bool, duties: Int, errors: [String], warnings: [String] = []) {
        self.ok = ok
        self.duties = duties
        self.errors = errors
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey { case ok, duties, errors, warnings }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ok = try c.decode(Bool.self, forKey: .ok)
        duties = try c.decode(Int.self, forKey: .duties)
        errors = try c.decode([String].self, forKey: .errors)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }
}
