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

    /// This instance among those sharing a ledger (issue 17): its role, the leader, the lease epoch, the database.
    public struct Instance: Codable, Sendable, Hashable {
        /// `sole` (one instance, SQLite), `leader` or `follower`.
        public var role: String
        public var id: String
        /// The instance holding the lease, when known.
        public var leader: String?
        public var epoch: Int64
        /// The ledger, without secrets (`sqlite:/var/lib/dutyd/dutyd.sqlite`, `postgresql://dutyd@db:5432/dutyd?…`).
        public var database: String
        public var scheduleDigest: String?
        /// The leader's schedule digest when it differs from this instance's.
        public var leaderScheduleDigest: String?
        public var schedulesDiffer: Bool
        public var acquisitions: Int
        /// Side effects that took longer than the window W after their final check (assumption A2).
        public var windowBreaches: Int
        public var longestWindowSeconds: Double

        public init(
            role: String, id: String, leader: String?, epoch: Int64, database: String, scheduleDigest: String?,
            leaderScheduleDigest: String?, schedulesDiffer: Bool, acquisitions: Int, windowBreaches: Int,
            longestWindowSeconds: Double
        ) {
            self.role = role
            self.id = id
            self.leader = leader
            self.epoch = epoch
            self.database = database
            self.scheduleDigest = scheduleDigest
            self.leaderScheduleDigest = leaderScheduleDigest
            self.schedulesDiffer = schedulesDiffer
            self.acquisitions = acquisitions
            self.windowBreaches = windowBreaches
            self.longestWindowSeconds = longestWindowSeconds
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
    /// Absent from daemons before issue 17.
    public var instance: Instance?

    public init(
        version: String, now: String, clock: String, uptimeSeconds: Double, schedules: Schedules, duties: Int,
        nextDue: NextDue?, lastReload: LastReload, ledger: [String: Int], socket: String, socketActivated: Bool,
        instance: Instance? = nil
    ) {
        self.instance = instance
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
