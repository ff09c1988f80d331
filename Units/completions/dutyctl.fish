function __dutyctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __dutyctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __dutyctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __dutyctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __dutyctl_parse_tokens -S
    set -l unparsed_tokens (__dutyctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'dutyctl'
        __dutyctl_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'status'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'upcoming'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'person=' 'role=' 'duty=' 'from=' 'to=' 'limit=' 'days=' 'kind=' 'all' 'version' 'h/help'
        case 'list'
            __dutyctl_parse_subcommand 0 'schedules=+' 'max-roster-size=' 'socket=' 'json' 'offline' 'version' 'h/help'
        case 'show'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
        case 'ack'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'as=' 'version' 'h/help'
        case 'move'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'to=' 'version' 'h/help'
        case 'cancel'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'version' 'h/help'
        case 'restore'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'version' 'h/help'
        case 'snooze'
            __dutyctl_parse_subcommand 2 'socket=' 'json' 'note=' 'as=' 'version' 'h/help'
        case 'add'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'at=' 'version' 'h/help'
        case 'pause'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'role=' 'township=' 'note=' 'from=' 'until=' 'version' 'h/help'
        case 'resume'
            __dutyctl_parse_subcommand 1 'socket=' 'json' 'role=' 'township=' 'note=' 'version' 'h/help'
        case 'changes'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'duty=' 'version' 'h/help'
        case 'overdue'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'person=' 'role=' 'duty=' 'from=' 'to=' 'limit=' 'days=' 'version' 'h/help'
        case 'reload'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'ranking'
            __dutyctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'submit'
                __dutyctl_parse_subcommand 2 'socket=' 'json' 'version' 'h/help'
            case 'check'
                __dutyctl_parse_subcommand 1 'schedules=+' 'max-roster-size=' 'version' 'h/help'
            end
        case 'interviews'
            __dutyctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'problem'
            __dutyctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __dutyctl_parse_subcommand 0 'socket=' 'json' 'township=' 'version' 'h/help'
            case 'add'
                __dutyctl_parse_subcommand 2 'socket=' 'json' 'deadline=' 'responsible=+' 'version' 'h/help'
            case 'close'
                __dutyctl_parse_subcommand 1 'socket=' 'json' 'note=' 'version' 'h/help'
            end
        case 'bulletin'
            __dutyctl_parse_subcommand 2 'socket=' 'json' 'no-deliver' 'version' 'h/help'
        case 'report'
            __dutyctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'visits'
                __dutyctl_parse_subcommand 0 'socket=' 'json' 'month=' 'township=' 'csv' 'group=' 'version' 'h/help'
            case 'duties'
                __dutyctl_parse_subcommand 0 'socket=' 'json' 'from=' 'to=' 'csv' 'version' 'h/help'
            end
        case 'validate'
            __dutyctl_parse_subcommand -r 1 'max-roster-size=' 'quiet' 'version' 'h/help'
        case 'agenda'
            __dutyctl_parse_subcommand 0 'schedules=+' 'max-roster-size=' 'person=' 'role=' 'duty=' 'township=' 'changes=' 'socket=' 'from=' 'to=' 'month=' 'no-warnings' 'timezone=' 'cell-width=' 'json' 'version' 'h/help'
        case 'export'
            __dutyctl_parse_subcommand 0 'schedules=+' 'max-roster-size=' 'person=' 'role=' 'duty=' 'township=' 'changes=' 'socket=' 'ics' 'from=' 'to=' 'timezone=' 'output=' 'version' 'h/help'
        case 'calendar'
            __dutyctl_parse_subcommand -r 1 'iterations=' 'base-time=' 'no-from-now' 'version' 'h/help'
        case 'rrule'
            __dutyctl_parse_subcommand 1 'count=' 'after=' 'floating-zone=' 'version' 'h/help'
        case 'help'
            __dutyctl_parse_subcommand -r 1 'version'
        end
    end
end

function __dutyctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __dutyctl_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __dutyctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __dutyctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__dutyctl_tokens -p)
    if test -z "$(__dutyctl_tokens -t)"
        set -l index (count (__dutyctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'dutyctl' -f
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'status' -d 'Show the daemon\'s status.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'upcoming' -d 'Show upcoming due dates (and warnings) from the daemon.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'list' -d 'List the duties (from the daemon, or the schedule files when it is not running).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'show' -d 'Show a duty, or an occurrence with its acknowledgements and deliveries.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'ack' -d 'Acknowledge an occurrence (销号); repeating it changes nothing.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'move' -d 'Move one occurrence to another time (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'cancel' -d 'Cancel one occurrence (root or the admin group); restore undoes it.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'restore' -d 'Undo a cancel or a move of one occurrence (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'snooze' -d 'Be reminded of an occurrence again after SPAN, once.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'add' -d 'Add an extra occurrence of a duty (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'pause' -d 'Pause a duty, a role\'s or a township\'s duties until a date (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'resume' -d 'End the pauses of a duty, a role or a township now (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'changes' -d 'List the changes to the plan and what the pauses skip.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'overdue' -d 'Show unacknowledged occurrences past their grace period.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'reload' -d 'Reload the schedules; a broken schedule keeps the previous ones.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'ranking' -d 'Submit or check a ranking of the townships (the schedules\' ranking trigger).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'interviews' -d 'Show interviews (约谈) and escalations (组织处理) with their counts.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'problem' -d 'List, record and close problems of the rectification ledger.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'bulletin' -d 'Compose a township\'s monthly bulletin and deliver it (journal and mail) to the township and county.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'report' -d 'Show a progress report (台账) from the daemon.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'validate' -d 'Check schedule directories and report every problem with file:line:column.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'agenda' -d 'Show due dates and advance warnings in a window, or a month grid.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'export' -d 'Export the duties as iCalendar (RFC 5545).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'calendar' -d 'Normalize calendar expressions (systemd.time(7)) and show when they elapse next.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'rrule' -d 'Expand an RFC 5545 recurrence (DTSTART + RRULE/RDATE/EXDATE) and print the occurrences.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl status" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl status" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl status" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" person' -l 'person' -d 'Only duties that reach this person, directly or through a role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" role' -l 'role' -d 'Only duties whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" duty' -l 'duty' -d 'Only this duty.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" from' -l 'from' -d 'Window start: ISO 8601 instant, or a date YYYY-MM-DD in the plan\'s zone.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" to' -l 'to' -d 'Window end: ISO 8601 instant, or a date YYYY-MM-DD in the plan\'s zone (inclusive).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" limit' -l 'limit' -d 'At most this many entries per page (1-1000).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" days' -l 'days' -d 'Days from now (1-366; default 14 unless --to is given).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" kind' -l 'kind' -d 'Kinds to show, comma-separated: due, warning, overdue, escalation, or all (default due).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" all' -l 'all' -d 'Fetch every page, not only the first.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl upcoming" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list"' -l 'schedules' -d 'A schedule directory (repeatable; later ones override same-named files).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" max-roster-size' -l 'max-roster-size' -d 'Largest roster CSV a template may read (bytes, or with K, M, G; dutyd\'s default).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" offline' -l 'offline' -d 'Read the schedule files even if the daemon is running.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl show" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl show" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl show" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" note' -l 'note' -d 'A note kept with the acknowledgement.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" as' -l 'as' -d 'Acknowledge for this person id.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ack" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" to' -l 'to' -d 'The new time (ISO 8601; local times in the duty\'s zone).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl move" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl cancel" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl cancel" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl cancel" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl cancel" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl cancel" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl restore" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl restore" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl restore" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl restore" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl restore" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" as' -l 'as' -d 'Snooze for this person id.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl snooze" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" at' -l 'at' -d 'When (ISO 8601; local times in the duty\'s zone).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" role' -l 'role' -d 'Every duty whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" township' -l 'township' -d 'Every duty of this township (id or name).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" from' -l 'from' -d 'Start (default now).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" until' -l 'until' -d 'End: a date (the end of that day) or a date-time.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl pause" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" role' -l 'role' -d 'Every duty whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" township' -l 'township' -d 'Every duty of this township (id or name).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" note' -l 'note' -d 'A note kept with the change (shown in show, the journal and the mails).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl resume" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl changes" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl changes" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl changes" duty' -l 'duty' -d 'Only this duty\'s changes.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl changes" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl changes" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" person' -l 'person' -d 'Only duties that reach this person, directly or through a role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" role' -l 'role' -d 'Only duties whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" duty' -l 'duty' -d 'Only this duty.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" from' -l 'from' -d 'Window start: ISO 8601 instant, or a date YYYY-MM-DD in the plan\'s zone.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" to' -l 'to' -d 'Window end: ISO 8601 instant, or a date YYYY-MM-DD in the plan\'s zone (inclusive).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" limit' -l 'limit' -d 'At most this many entries per page (1-1000).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" days' -l 'days' -d 'Look back this many days (default 30).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl overdue" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl reload" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl reload" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl reload" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl reload" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl ranking" -eq 1' -fa 'submit' -d 'Record PERIOD\'s ranking (root or the admin group); prints the interviews and escalations it causes.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl ranking" -eq 1' -fa 'check' -d 'Check a ranking file against the schedules\' townships, offline.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking submit" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking submit" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking submit" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking submit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking check"' -l 'schedules' -d 'A schedule directory (repeatable; later ones override same-named files).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking check" max-roster-size' -l 'max-roster-size' -d 'Largest roster CSV a template may read (bytes, or with K, M, G; dutyd\'s default).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking check" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl ranking check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl interviews" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl interviews" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl interviews" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl interviews" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl problem" -eq 1' -fa 'list' -d 'List problems, open and closed.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl problem" -eq 1' -fa 'add' -d 'Record a problem; it is reminded until closed (root or the admin group).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl problem" -eq 1' -fa 'close' -d 'Close a problem (销号).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem list" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem list" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem list" township' -l 'township' -d 'Only what concerns this township (id or name).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem list" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add" deadline' -l 'deadline' -d 'Deadline: ISO 8601 or YYYY-MM-DD.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add"' -l 'responsible' -d 'Responsible role or person id (repeatable; default: the township).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem close" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem close" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem close" note' -l 'note' -d 'A note kept with the closing.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem close" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl problem close" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl bulletin" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl bulletin" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl bulletin" no-deliver' -l 'no-deliver' -d 'Only print it; deliver nothing (allowed to every reader).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl bulletin" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl bulletin" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl report" -eq 1' -fa 'visits' -d 'Household visits of a month per township (入户走访): due, done, overdue.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_positional "dutyctl report" -eq 1' -fa 'duties' -d 'Every duty\'s occurrences in a window: done, overdue, open.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" month' -l 'month' -d 'The month, YYYY-MM (default: this month on the daemon\'s clock).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" township' -l 'township' -d 'Only the cadres of this township (id) in --group cadre and --json.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" csv' -l 'csv' -d 'Write CSV instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" group' -l 'group' -d 'CSV rows: township, unit or cadre (default township).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report visits" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" socket' -l 'socket' -d 'The daemon\'s query socket.' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" json' -l 'json' -d 'Print the daemon\'s JSON instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" from' -l 'from' -d 'First day (YYYY-MM-DD).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" to' -l 'to' -d 'Last day (YYYY-MM-DD, inclusive).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" csv' -l 'csv' -d 'Write CSV instead of a table.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl report duties" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl validate" max-roster-size' -l 'max-roster-size' -d 'Largest roster CSV a template may read (bytes, or with K, M, G; dutyd\'s default).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl validate" quiet' -l 'quiet' -d 'Print nothing on success.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl validate" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda"' -l 'schedules' -d 'A schedule directory (repeatable; later ones override same-named files).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" max-roster-size' -l 'max-roster-size' -d 'Largest roster CSV a template may read (bytes, or with K, M, G; dutyd\'s default).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" person' -l 'person' -d 'Only duties that reach this person, directly or through a role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" role' -l 'role' -d 'Only duties whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" duty' -l 'duty' -d 'Only this duty.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" township' -l 'township' -d 'Only what concerns this township (id or name).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" changes' -l 'changes' -d 'Apply the daemon\'s changes: \'daemon\' (its socket) or a file of \'dutyctl changes --json\'.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" socket' -l 'socket' -d 'The daemon\'s query socket for --changes daemon (default: $DUTYD_SOCKET, then /run/dutyd/dutyd.sock).' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" from' -l 'from' -d 'First day (YYYY-MM-DD, inclusive).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" to' -l 'to' -d 'Last day (YYYY-MM-DD, inclusive).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" month' -l 'month' -d 'Draw a month grid for YYYY-MM.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" no-warnings' -l 'no-warnings' -d 'Leave out advance warnings.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" timezone' -l 'timezone' -d 'Time zone for reading and showing dates (default: the plan\'s zone).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" cell-width' -l 'cell-width' -d 'Grid column width (with --month).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" json' -l 'json' -d 'Print JSON instead of text.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl agenda" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export"' -l 'schedules' -d 'A schedule directory (repeatable; later ones override same-named files).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" max-roster-size' -l 'max-roster-size' -d 'Largest roster CSV a template may read (bytes, or with K, M, G; dutyd\'s default).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" person' -l 'person' -d 'Only duties that reach this person, directly or through a role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" role' -l 'role' -d 'Only duties whose recipients or responsible include this role.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" duty' -l 'duty' -d 'Only this duty.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" township' -l 'township' -d 'Only what concerns this township (id or name).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" changes' -l 'changes' -d 'Apply the daemon\'s changes: \'daemon\' (its socket) or a file of \'dutyctl changes --json\'.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" socket' -l 'socket' -d 'The daemon\'s query socket for --changes daemon (default: $DUTYD_SOCKET, then /run/dutyd/dutyd.sock).' -rF
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" ics' -l 'ics' -d 'Write iCalendar (the only format for now).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" from' -l 'from' -d 'First day of the export window (YYYY-MM-DD).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" to' -l 'to' -d 'Last day of the export window (YYYY-MM-DD).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" timezone' -l 'timezone' -d 'Time zone of the window dates (default: the plan\'s zone).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" output' -l 'output' -d 'Write to this file instead of standard output.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl calendar" iterations' -l 'iterations' -d 'Show this many elapses per expression.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl calendar" base-time' -l 'base-time' -d 'Compute elapses after this time (@EPOCH[.FRACTION]) instead of now.' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl calendar" no-from-now' -l 'no-from-now' -d 'Omit the \'From now:\' lines (which depend on the real clock).'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl calendar" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl calendar" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl rrule" count' -l 'count' -d 'Number of occurrences to print (default 10).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl rrule" after' -l 'after' -d 'Only occurrences strictly after this ISO 8601 date or date-time (without an offset: in the floating zone).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl rrule" floating-zone' -l 'floating-zone' -d 'Time zone for floating DTSTART/RDATE/EXDATE values (default UTC).' -rfka ''
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl rrule" version' -l 'version' -d 'Show the version.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl rrule" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dutyctl' -n '__dutyctl_should_offer_completions_for_flags_or_options "dutyctl help" version' -l 'version' -d 'Show the version.'
