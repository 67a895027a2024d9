# Create a service with the SCM (New-Service: the binary path is a cmdlet argument, so its quotes
# survive). It starts as a manual LocalSystem service; scm-configure sets everything else.
# Input: name, argv (program and arguments), display_name.
# Arguments are quoted here, on the host, by the rules of CommandLineToArgvW (command-line.ts
# holds the same rules for comparing), so they travel as data.
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
$name = [string]$in.name
$binaryPath = '"' + [string]@($in.argv)[0] + '" ' + (& $joinArgs @($in.argv | Select-Object -Skip 1))
if ($null -ne (Get-Service -Name $name -ErrorAction SilentlyContinue)) { throw ('service ' + $name + ' exists already (or is marked for deletion: close the Services console and retry)') }
New-Service -Name $name -BinaryPathName $binaryPath.TrimEnd() -DisplayName ([string]$in.display_name) -StartupType Manual | Out-Null
return @{ created = $name }
