#include "cli/help_export.h"

#include <sstream>

namespace medic::cli {
namespace {

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool takesValue(const CLI::Option& o) {
  return o.get_items_expected_max() > 0;
}

/// The placeholder a value option shows (FILE, DIR, DURATION, ...): CLI11's type name without the
/// validator descriptions it appends after ':'.
std::string placeholder(const CLI::Option& o) {
  std::string type = o.get_type_name();
  return type.substr(0, type.find(':'));
}

/// The words a value option accepts when a CLI::IsMember validator restricts it ("{a,b,c}" in its
/// type name); empty when any value goes.
std::vector<std::string> choices(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  const auto open = type.find('{');
  const auto close = type.find('}', open);
  std::vector<std::string> words;
  if (open == std::string::npos || close == std::string::npos) return words;
  std::istringstream in(type.substr(open + 1, close - open - 1));
  for (std::string w; std::getline(in, w, ',');) {
    if (!trim(w).empty()) words.push_back(trim(w));
  }
  return words;
}

/// Every name of a non-positional option as typed: "-h", "--help".
std::vector<std::string> spellings(const CLI::Option& o) {
  std::vector<std::string> names;
  for (const auto& s : o.get_snames()) names.push_back("-" + s);
  for (const auto& l : o.get_lnames()) names.push_back("--" + l);
  return names;
}

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

/// The first sentence of a (multi-line) description, for one-line summaries.
std::string firstSentence(const std::string& text) {
  std::string joined;
  for (const auto& line : splitLines(text)) {
    if (trim(line).empty()) break;
    joined += (joined.empty() ? "" : " ") + trim(line);
  }
  const auto end = joined.find(". ");
  if (end != std::string::npos) return joined.substr(0, end);
  if (!joined.empty() && joined.back() == '.') joined.pop_back();
  return joined;
}

/// The description without its line breaks (they are there for an 80-column terminal).
std::string oneParagraph(const std::string& text) {
  std::string out;
  for (const auto& line : splitLines(text)) {
    if (trim(line).empty()) continue;
    if (!out.empty()) out += ' ';
    out += trim(line);
  }
  return out;
}

// --- troff ---

/// Text for troff: backslashes and hyphens escaped (so options copy-paste as ASCII), and a line
/// that would start with a control character made literal.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

/// Paragraphs of a CLI11 description: blank lines separate paragraphs, lines of a paragraph are
/// joined, and a paragraph whose lines are all indented stays preformatted.
void roffParagraphs(std::ostream& out, const std::string& text) {
  std::vector<std::vector<std::string>> paragraphs(1);
  for (const auto& line : splitLines(text)) {
    if (trim(line).empty()) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
      continue;
    }
    paragraphs.back().push_back(line);
  }
  bool first = true;
  for (const auto& p : paragraphs) {
    if (p.empty()) continue;
    if (!first) out << ".PP\n";
    first = false;
    bool indented = true;
    for (const auto& line : p) indented = indented && line.rfind("  ", 0) == 0;
    if (indented) {
      out << ".nf\n";
      for (const auto& line : p) out << roff(line) << "\n";
      out << ".fi\n";
    } else {
      std::string joined;
      for (const auto& line : p) joined += (joined.empty() ? "" : " ") + trim(line);
      out << roff(joined) << "\n";
    }
  }
}

/// The options of `app` as a .TP list: positionals (arguments) when `positional`, else the others.
void roffOptions(std::ostream& out, const CLI::App& app, bool positional) {
  for (const auto* o : userOptions(app)) {
    if (o->get_positional() != positional) continue;
    out << ".TP\n";
    if (positional) {
      out << "\\fI" << roff(o->get_name()) << "\\fR\n";
    } else {
      std::string names;
      for (const auto& n : spellings(*o)) {
        names += (names.empty() ? "" : ", ") + std::string("\\fB") + roff(n) + "\\fR";
      }
      if (takesValue(*o)) names += " \\fI" + roff(placeholder(*o)) + "\\fR";
      out << names << "\n";
    }
    std::string text = oneParagraph(o->get_description());
    if (auto words = choices(*o); !words.empty()) {
      bool all_named = true;
      std::string list;
      for (const auto& w : words) {
        all_named = all_named && text.find(w) != std::string::npos;
        list += (list.empty() ? "" : ", ") + w;
      }
      if (!all_named) text += " (one of: " + list + ")";
    }
    if (o->get_required())
      text += (!text.empty() && text.back() == '.') ? " Required." : ". Required.";
    out << roff(text) << "\n";
  }
}

/// "Arguments:" and "Options:" of a command, each only when it has some.
void roffCommandOptions(std::ostream& out, const CLI::App& app) {
  bool has[2] = {false, false};
  for (const auto* o : userOptions(app)) has[o->get_positional() ? 0 : 1] = true;
  if (has[0]) {
    out << ".PP\nArguments:\n.RS\n";
    roffOptions(out, app, true);
    out << ".RE\n";
  }
  if (has[1]) {
    out << ".PP\nOptions:\n.RS\n";
    roffOptions(out, app, false);
    out << ".RE\n";
  }
}

void roffExamples(std::ostream& out, const CLI::App& app) {
  auto examples = examplesOf(app);
  if (examples.empty()) return;
  out << ".PP\nExamples:\n.RS\n.nf\n";
  for (const auto& e : examples) {
    out << roff(e.command);
    if (!e.comment.empty()) out << "   # " << roff(e.comment);
    out << "\n";
  }
  out << ".fi\n.RE\n";
}

/// "medic recover SERVICE [OPTIONS]"
std::string usage(const CLI::App& sub) {
  std::string line = "medic " + sub.get_name();
  bool has_options = false;
  for (const auto* o : userOptions(sub)) {
    if (o->get_positional()) {
      line += o->get_required() ? " " + o->get_name() : " [" + o->get_name() + "]";
    } else {
      has_options = true;
    }
  }
  return has_options ? line + " [OPTIONS]" : line;
}

// --- shell quoting ---

/// A word for a bash `case` pattern or a double-quoted list: option names and choice words are
/// plain ([A-Za-z0-9_.-]), anything else is dropped rather than risk breaking the script.
bool plainWord(const std::string& w) {
  if (w.empty()) return false;
  for (char c : w) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string joinPlain(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (const auto& w : words) {
    if (!plainWord(w)) continue;
    out += (out.empty() ? "" : sep) + w;
  }
  return out;
}

/// How a value option's argument is completed.
enum class ValueKind { kNone, kFile, kDir, kWords };

ValueKind valueKind(const CLI::Option& o) {
  if (!choices(o).empty()) return ValueKind::kWords;
  const std::string p = placeholder(o);
  if (p == "FILE") return ValueKind::kFile;
  if (p == "DIR") return ValueKind::kDir;
  return ValueKind::kNone;
}

/// zsh `_arguments` spec text: [ ] : and \ escaped, single quotes closed and reopened.
std::string zshEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out.push_back('\\');
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string zshOptionSpecs(const CLI::App& app, const std::string& indent) {
  std::string out;
  for (const auto* o : userOptions(app)) {
    if (o->get_positional()) continue;
    const auto names = spellings(*o);
    const std::string help = zshEscape(oneParagraph(firstLine(o->get_description())));
    std::string action;
    if (takesValue(*o)) {
      const std::string ph = zshEscape(placeholder(*o));
      switch (valueKind(*o)) {
        case ValueKind::kFile:
          action = ":" + ph + ":_files";
          break;
        case ValueKind::kDir:
          action = ":" + ph + ":_directories";
          break;
        case ValueKind::kWords:
          action = ":" + ph + ":(" + joinPlain(choices(*o), " ") + ")";
          break;
        case ValueKind::kNone:
          action = ":" + ph + ": ";
          break;
      }
    }
    for (const auto& n : names) {
      if (!plainWord(n)) continue;
      out.append(indent).append("'").append(n).append("[").append(help).append("]");
      out.append(action).append("'\n");
    }
  }
  return out;
}

}  // namespace

std::vector<const CLI::App*> visibleSubcommands(const CLI::App& root) {
  return root.get_subcommands(
      [](const CLI::App* a) { return !a->get_name().empty() && !a->get_group().empty(); });
}

std::vector<const CLI::Option*> userOptions(const CLI::App& app) {
  const CLI::Option* help = app.get_help_ptr();
  const CLI::Option* help_all = app.get_help_all_ptr();
  return app.get_options([help, help_all](const CLI::Option* o) {
    return o != help && o != help_all && !o->get_group().empty();
  });
}

std::vector<HelpExample> examplesOf(const CLI::App& app) {
  std::vector<HelpExample> examples;
  bool in_examples = false;
  for (const auto& line : splitLines(app.get_footer())) {
    if (trim(line).rfind("Example", 0) == 0 && trim(line).back() == ':') {
      in_examples = true;
      continue;
    }
    if (!in_examples || trim(line).empty()) continue;
    HelpExample e;
    const auto hash = line.find(" # ");
    e.command = trim(line.substr(0, hash));
    if (hash != std::string::npos) e.comment = trim(line.substr(hash + 3));
    examples.push_back(std::move(e));
  }
  return examples;
}

std::string manPage(const CLI::App& root, std::string_view version) {
  std::ostringstream out;
  const std::string summary = firstLine(root.get_description());
  std::string name_line = summary;
  if (name_line.rfind("medic ", 0) == 0) name_line = name_line.substr(6);
  if (!name_line.empty() && name_line.back() == '.') name_line.pop_back();

  out << ".\\\" medic(1), generated by `medic man` from the definitions behind `medic --help`.\n"
      << ".\\\" Do not edit: change the help text in src/cli and rebuild.\n"
      << ".TH MEDIC 1 \"\" \"medic " << roff(std::string(version)) << "\" \"User Commands\"\n"
      << ".SH NAME\nmedic \\- " << roff(name_line) << "\n"
      << ".SH SYNOPSIS\n.B medic\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR] "
         "[\\fIOPTIONS\\fR]\n.br\n.B medic\n\\fICOMMAND\\fR \\fB\\-\\-help\\fR\n"
      << ".SH DESCRIPTION\n";
  roffParagraphs(out, root.get_description());
  out << ".PP\nCommands:\n.RS\n";
  for (const auto* sub : visibleSubcommands(root)) {
    out << ".TP 18\n\\fB" << roff(sub->get_name()) << "\\fR\n"
        << roff(firstSentence(sub->get_description())) << "\n";
  }
  out << ".RE\n.SH GLOBAL OPTIONS\nThese may come before or after the command.\n";
  roffOptions(out, root, false);
  out << ".SH COMMANDS\n";
  for (const auto* sub : visibleSubcommands(root)) {
    out << ".SS \"" << roff(usage(*sub)) << "\"\n";
    roffParagraphs(out, sub->get_description());
    roffCommandOptions(out, *sub);
    roffExamples(out, *sub);
  }
  if (!examplesOf(root).empty()) {
    out << ".SH EXAMPLES\n.nf\n";
    for (const auto& e : examplesOf(root)) {
      out << roff(e.command) << (e.comment.empty() ? "" : "    # " + roff(e.comment)) << "\n";
    }
    out << ".fi\n";
  }
  out << R"(.SH FILES
.TP
.I /etc/medic/medic.yaml
The config file used when \-\-config is not given and ./medic.yaml does not exist.
.TP
.I /var/lib/medic
The state dir as root (else ~/.local/state/medic): the SQLite store medic.db, the API token
(mode 0600), daemon.json, recovery\-state.json, logs/monitoring\-alerts.log and
alerts/critical\-failures.json.
.TP
.I /lib/systemd/system/medic.service
The unit installed by the Debian package; the same text as \fBmedic install\-service \-\-dry\-run\fR.
.SH EXIT STATUS
0 on success (for \fBcheck\fR: everything protected is healthy), 1 when something protected is
unhealthy or missing, 2 on a usage, configuration or engine error.
.SH SEE ALSO
.BR systemctl (1),
.BR docker (1).
The config keys are documented in /usr/share/doc/medic/config.md, operations (install, upgrade,
backup, what each alert means) in /usr/share/doc/medic/operations.md.
)";
  return out.str();
}

std::string bashCompletion(const CLI::App& root) {
  std::vector<std::string> commands;
  for (const auto* sub : visibleSubcommands(root)) commands.push_back(sub->get_name());

  // What each option's value completes to, per scope ("" = global); the global options apply
  // after a command too (they may come before or after it).
  auto optionNames = [](const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* o : userOptions(app)) {
      if (o->get_positional()) continue;
      for (const auto& n : spellings(*o)) names.push_back(n);
    }
    names.push_back("--help");
    return names;
  };
  auto valueCases = [](const CLI::App& app, const std::string& indent) {
    std::string out;
    for (const auto* o : userOptions(app)) {
      if (o->get_positional() || !takesValue(*o)) continue;
      const std::string pattern = joinPlain(spellings(*o), "|");
      if (pattern.empty()) continue;
      switch (valueKind(*o)) {
        case ValueKind::kFile:
          out += indent + pattern + ") _medic_files -f; return 0 ;;\n";
          break;
        case ValueKind::kDir:
          out += indent + pattern + ") _medic_files -d; return 0 ;;\n";
          break;
        case ValueKind::kWords:
          out += indent + pattern + ") _medic_words \"" + joinPlain(choices(*o), " ") +
                 "\"; return 0 ;;\n";
          break;
        case ValueKind::kNone:
          out += indent + pattern + ") return 0 ;;  # a value with no completion\n";
          break;
      }
    }
    return out;
  };
  std::string global_values;
  for (const auto* o : userOptions(root)) {
    if (!o->get_positional() && takesValue(*o)) {
      for (const auto& n : spellings(*o)) {
        if (plainWord(n)) global_values += (global_values.empty() ? "" : "|") + n;
      }
    }
  }

  std::ostringstream out;
  out << "# bash completion for medic, generated by `medic completion bash` from the definitions\n"
         "# behind `medic --help`. Installed as /usr/share/bash-completion/completions/medic by\n"
         "# the Debian package; or: source <(medic completion bash)\n\n"
         "_medic_words() {\n"
         "  mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"${cur}\")\n"
         "}\n\n"
         "_medic_files() {\n"
         "  compopt -o filenames 2>/dev/null\n"
         "  mapfile -t COMPREPLY < <(compgen \"$1\" -- \"${cur}\")\n"
         "}\n\n"
         "_medic() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\"\n"
         "  ((COMP_CWORD > 0)) && prev=\"${COMP_WORDS[COMP_CWORD - 1]}\"\n"
         "  COMPREPLY=()\n"
         "  # The command is the first word that is neither an option nor an option's value.\n"
         "  local cmd=\"\" i\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    case \"${COMP_WORDS[i]}\" in\n";
  if (!global_values.empty()) out << "      " << global_values << ") ((i++)) ;;\n";
  out << "      -*) ;;\n"
         "      *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
         "    esac\n"
         "  done\n\n"
         "  # The value of an option.\n"
         "  case \"${prev}\" in\n"
      << valueCases(root, "    ");
  out << "    *)\n"
         "      case \"${cmd}\" in\n";
  for (const auto* sub : visibleSubcommands(root)) {
    const std::string cases = valueCases(*sub, "            ");
    if (cases.empty()) continue;
    out << "        " << sub->get_name() << ")\n"
        << "          case \"${prev}\" in\n"
        << cases << "          esac\n"
        << "          ;;\n";
  }
  out << "      esac\n"
         "      ;;\n"
         "  esac\n\n"
         "  local global_opts=\""
      << joinPlain(optionNames(root), " ")
      << "\"\n"
         "  case \"${cmd}\" in\n"
         "    \"\")\n"
         "      if [[ \"${cur}\" == -* ]]; then\n"
         "        _medic_words \"${global_opts}\"\n"
         "      else\n"
         "        _medic_words \""
      << joinPlain(commands, " ")
      << "\"\n"
         "      fi\n"
         "      ;;\n";
  for (const auto* sub : visibleSubcommands(root)) {
    std::vector<std::string> names = optionNames(*sub);
    names.pop_back();  // --help is in global_opts already
    out << "    " << sub->get_name() << ") _medic_words \"" << joinPlain(names, " ")
        << " ${global_opts}\" ;;\n";
  }
  out << "  esac\n"
         "  return 0\n"
         "}\n\n"
         "complete -F _medic medic\n";
  return out.str();
}

std::string zshCompletion(const CLI::App& root) {
  std::ostringstream out;
  out << "#compdef medic\n"
         "# zsh completion for medic, generated by `medic completion zsh` from the definitions\n"
         "# behind `medic --help`. Installed as /usr/share/zsh/vendor-completions/_medic.\n\n"
         "_medic() {\n"
         "  local -a global_opts commands\n"
         "  global_opts=(\n"
      << zshOptionSpecs(root, "    ")
      << "  )\n"
         "  commands=(\n";
  for (const auto* sub : visibleSubcommands(root)) {
    out << "    '" << sub->get_name() << ":" << zshEscape(firstSentence(sub->get_description()))
        << "'\n";
  }
  out << "  )\n"
         "  local curcontext=\"$curcontext\" state line\n"
         "  _arguments -C $global_opts '1: :->command' '*:: :->args'\n"
         "  case $state in\n"
         "    command) _describe -t commands 'medic command' commands ;;\n"
         "    args)\n"
         "      case $words[1] in\n";
  for (const auto* sub : visibleSubcommands(root)) {
    out << "        " << sub->get_name() << ")\n"
        << "          _arguments $global_opts \\\n";
    std::string specs = zshOptionSpecs(*sub, "            ");
    // Each spec on its own line, continued with a backslash.
    std::string continued;
    for (const auto& line : splitLines(specs)) continued += line + " \\\n";
    out << continued;
    for (const auto* o : userOptions(*sub)) {
      if (o->get_positional()) {
        out << "            ':" << zshEscape(o->get_name()) << ": ' \\\n";
      }
    }
    out << "            && return 0 ;;\n";
  }
  out << "      esac\n"
         "      ;;\n"
         "  esac\n"
         "}\n\n"
         "_medic \"$@\"\n";
  return out.str();
}

}  // namespace medic::cli
