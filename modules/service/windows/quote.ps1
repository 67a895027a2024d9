# Prelude of the scripts that write command lines (see script.ts): arguments are quoted here, on
# the host, by the rules of CommandLineToArgvW (command-line.ts holds the same rules for
# comparing), so they travel as data. Defines $quote (one argument) and $joinArgs (a list).
$quote = {
  param([string]$a)
  if ($a -ne '' -and $a -notmatch '[\s"]') { return $a }
  $out = '"'
  $slashes = 0
  foreach ($ch in $a.ToCharArray()) {
    if ($ch -eq '\') {
      $slashes++
      continue
    }
    if ($ch -eq '"') {
      $out += ('\' * ($slashes * 2 + 1)) + '"'
    } else {
      $out += ('\' * $slashes) + $ch
    }
    $slashes = 0
  }
  return $out + ('\' * ($slashes * 2)) + '"'
}
$joinArgs = {
  param($list)
  return ((@($list) | Where-Object { $null -ne $_ } | ForEach-Object { & $quote ([string]$_) }) -join ' ')
}
