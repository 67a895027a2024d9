# Configure an existing service through the SCM: only the fields present in the input change.
# Input: name; optional argv (program and arguments), display_name, description, start (auto|delayed-auto|demand|
# disabled), dependencies, account {name, password}, required_privileges, sid_type,
# failure {reset, actions, on_non_crash}. The password is input data only: it goes to
# Win32_Service.Change, never onto a command line.
# Uses $joinArgs (prelude quote.ps1).
$name = [string]$in.name
$sc = {
  param([string[]]$argv)
  # Local to this block: a native program's stderr must not turn into a terminating error.
  $ErrorActionPreference = 'Continue'
  $out = & sc.exe @argv 2>&1
  if ($LASTEXITCODE -ne 0) { throw ('sc.exe ' + $argv[0] + ' ' + $argv[1] + ' failed with Win32 error ' + $LASTEXITCODE + ': ' + (($out | Out-String).Trim())) }
}
$change = {
  param([hashtable]$arguments, [string]$what)
  $svc = Get-CimInstance -ClassName Win32_Service -Filter ('Name=''' + $name + '''')
  if ($null -eq $svc) { throw ('service ' + $name + ' not found') }
  $r = Invoke-CimMethod -InputObject $svc -MethodName Change -Arguments $arguments
  if ($r.ReturnValue -ne 0) { throw ('changing the ' + $what + ' of service ' + $name + ' failed: Win32_Service.Change returned ' + $r.ReturnValue) }
}
$done = @()
if ($null -ne $in.argv) {
  $binaryPath = ('"' + [string]@($in.argv)[0] + '" ' + (& $joinArgs @($in.argv | Select-Object -Skip 1))).TrimEnd()
  & $change @{ PathName = $binaryPath } 'binary path'
  $done += 'binary_path'
}
if ($null -ne $in.display_name) {
  Set-Service -Name $name -DisplayName ([string]$in.display_name)
  $done += 'display_name'
}
if ($null -ne $in.description) {
  Set-Service -Name $name -Description ([string]$in.description)
  $done += 'description'
}
if ($null -ne $in.start) {
  & $sc @('config', $name, 'start=', [string]$in.start)
  $done += 'start'
}
if ($null -ne $in.dependencies) {
  & $change @{ ServiceDependencies = [string[]]@($in.dependencies) } 'dependencies'
  $done += 'dependencies'
}
if ($null -ne $in.account) {
  $accountName = [string]$in.account.name
  if ($accountName.StartsWith('.\')) { $accountName = $env:COMPUTERNAME + $accountName.Substring(1) }
  if ([string]::IsNullOrEmpty([string]$in.account.password)) {
    # Built-in, virtual and gMSA accounts: no password, the documented sc.exe form.
    & $sc @('config', $name, 'obj=', $accountName)
  } else {
    # A user's password goes to the SCM as method input, never onto a command line.
    & $change @{ StartName = $accountName; StartPassword = [string]$in.account.password } 'account'
  }
  $done += 'account'
}
if ($null -ne $in.required_privileges) {
  & $sc @('privs', $name, (@($in.required_privileges) -join '/'))
  $done += 'required_privileges'
}
if ($null -ne $in.sid_type) {
  & $sc @('sidtype', $name, [string]$in.sid_type)
  $done += 'sid_type'
}
if ($null -ne $in.failure) {
  & $sc @('failure', $name, 'reset=', [string]$in.failure.reset, 'actions=', [string]$in.failure.actions)
  $flag = '0'
  if ($in.failure.on_non_crash) { $flag = '1' }
  & $sc @('failureflag', $name, $flag)
  $done += 'failure'
}
return @{ configured = $done }
