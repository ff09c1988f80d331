#!/bin/bash

__dutyctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__dutyctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__dutyctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__dutyctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_dutyctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __dutyctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    status|upcoming|list|show|ack|move|cancel|restore|snooze|add|pause|resume|changes|overdue|reload|ranking|interviews|problem|bulletin|report|validate|agenda|export|calendar|rrule|help)
        # Offer subcommand argument completions
        "_dutyctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'status upcoming list show ack move cancel restore snooze add pause resume changes overdue reload ranking interviews problem bulletin report validate agenda export calendar rrule help' -- "${cur}"))
        ;;
    esac
}

_dutyctl_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_upcoming() {
    repeating_flags=()
    non_repeating_flags=(--json --all --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --person --role --duty --from --to --limit --days --kind)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--person')
        return
        ;;
    '--role')
        return
        ;;
    '--duty')
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--limit')
        return
        ;;
    '--days')
        return
        ;;
    '--kind')
        return
        ;;
    esac
}

_dutyctl_list() {
    repeating_flags=()
    non_repeating_flags=(--json --offline --version -h --help)
    repeating_options=(--schedules)
    non_repeating_options=(--max-roster-size --socket)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--schedules')
        return
        ;;
    '--max-roster-size')
        return
        ;;
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_show() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_ack() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --as)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_dutyctl_move() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --to)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    '--to')
        return
        ;;
    esac
}

_dutyctl_cancel() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    esac
}

_dutyctl_restore() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    esac
}

_dutyctl_snooze() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --as)
    __dutyctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    '--as')
        return
        ;;
    esac
}

_dutyctl_add() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --at)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    '--at')
        return
        ;;
    esac
}

_dutyctl_pause() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --role --township --note --from --until)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--role')
        return
        ;;
    '--township')
        return
        ;;
    '--note')
        return
        ;;
    '--from')
        return
        ;;
    '--until')
        return
        ;;
    esac
}

_dutyctl_resume() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --role --township --note)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--role')
        return
        ;;
    '--township')
        return
        ;;
    '--note')
        return
        ;;
    esac
}

_dutyctl_changes() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --duty)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--duty')
        return
        ;;
    esac
}

_dutyctl_overdue() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --person --role --duty --from --to --limit --days)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--person')
        return
        ;;
    '--role')
        return
        ;;
    '--duty')
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--limit')
        return
        ;;
    '--days')
        return
        ;;
    esac
}

_dutyctl_reload() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_ranking() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dutyctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    submit|check)
        # Offer subcommand argument completions
        "_dutyctl_ranking_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'submit check' -- "${cur}"))
        ;;
    esac
}

_dutyctl_ranking_submit() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_ranking_check() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--schedules)
    non_repeating_options=(--max-roster-size)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--schedules')
        return
        ;;
    '--max-roster-size')
        return
        ;;
    esac
}

_dutyctl_interviews() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_problem() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dutyctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|add|close)
        # Offer subcommand argument completions
        "_dutyctl_problem_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list add close' -- "${cur}"))
        ;;
    esac
}

_dutyctl_problem_list() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --township)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--township')
        return
        ;;
    esac
}

_dutyctl_problem_add() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--responsible)
    non_repeating_options=(--socket --deadline)
    __dutyctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--deadline')
        return
        ;;
    '--responsible')
        return
        ;;
    esac
}

_dutyctl_problem_close() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--note')
        return
        ;;
    esac
}

_dutyctl_bulletin() {
    repeating_flags=()
    non_repeating_flags=(--json --no-deliver --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dutyctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    esac
}

_dutyctl_report() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dutyctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    visits|duties)
        # Offer subcommand argument completions
        "_dutyctl_report_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'visits duties' -- "${cur}"))
        ;;
    esac
}

_dutyctl_report_visits() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --month --township --group)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--month')
        return
        ;;
    '--township')
        return
        ;;
    '--group')
        return
        ;;
    esac
}

_dutyctl_report_duties() {
    repeating_flags=()
    non_repeating_flags=(--json --csv --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --from --to)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    esac
}

_dutyctl_validate() {
    repeating_flags=()
    non_repeating_flags=(--quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--max-roster-size)
    __dutyctl_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--max-roster-size')
        return
        ;;
    esac
}

_dutyctl_agenda() {
    repeating_flags=()
    non_repeating_flags=(--no-warnings --json --version -h --help)
    repeating_options=(--schedules)
    non_repeating_options=(--max-roster-size --person --role --duty --township --changes --socket --from --to --month --timezone --cell-width)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--schedules')
        return
        ;;
    '--max-roster-size')
        return
        ;;
    '--person')
        return
        ;;
    '--role')
        return
        ;;
    '--duty')
        return
        ;;
    '--township')
        return
        ;;
    '--changes')
        return
        ;;
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--month')
        return
        ;;
    '--timezone')
        return
        ;;
    '--cell-width')
        return
        ;;
    esac
}

_dutyctl_export() {
    repeating_flags=()
    non_repeating_flags=(--ics --version -h --help)
    repeating_options=(--schedules)
    non_repeating_options=(--max-roster-size --person --role --duty --township --changes --socket --from --to --timezone --output)
    __dutyctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--schedules')
        return
        ;;
    '--max-roster-size')
        return
        ;;
    '--person')
        return
        ;;
    '--role')
        return
        ;;
    '--duty')
        return
        ;;
    '--township')
        return
        ;;
    '--changes')
        return
        ;;
    '--socket')
        __dutyctl_add_completions -f
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--timezone')
        return
        ;;
    '--output')
        return
        ;;
    esac
}

_dutyctl_calendar() {
    repeating_flags=()
    non_repeating_flags=(--no-from-now --version -h --help)
    repeating_options=()
    non_repeating_options=(--iterations --base-time)
    __dutyctl_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--iterations')
        return
        ;;
    '--base-time')
        return
        ;;
    esac
}

_dutyctl_rrule() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--count --after --floating-zone)
    __dutyctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--count')
        return
        ;;
    '--after')
        return
        ;;
    '--floating-zone')
        return
        ;;
    esac
}

_dutyctl_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __dutyctl_offer_flags_options -1
}

complete -o filenames -F _dutyctl dutyctl
