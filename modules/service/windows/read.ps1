# Every Windows registration of one service name: the SCM service (with NSSM's Parameters when
# NSSM runs it) and the scheduled task, plus the SIDs of the account names the resource uses.
# Input: name, task_path, accounts (names to resolve), records (password fingerprints to read, see
# password-record.ps1). Registry values are read unexpanded.
# Uses $resolve (prelude resolve.ps1).
$name = [string]$in.name
$list = {
  param($v)
  if ($null -eq $v) { return ,@() }
  return ,@($v | ForEach-Object { [string]$_ } | Where-Object { $_ -ne '' })
}
# DWORDs above 0x7FFFFFFF come back from GetValue as negative Int32: read them unsigned.
$dword = {
  param($v)
  if ($null -eq $v) { return $null }
  return [BitConverter]::ToUInt32([BitConverter]::GetBytes([int]$v), 0)
}
$raw = 'DoNotExpandEnvironmentNames'
$scm = $null
$key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SYSTEM\CurrentControlSet\Services\' + $name)
if ($null -ne $key) {
  $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
  $status = 'Absent'
  if ($null -ne $svc) { $status = [string]$svc.Status }
  $fa = $key.GetValue('FailureActions', $null)
  $faText = $null
  if ($null -ne $fa) { $faText = [Convert]::ToBase64String([byte[]]$fa) }
  $objectName = [string]$key.GetValue('ObjectName', 'LocalSystem')
  $nssm = $null
  $params = $key.OpenSubKey('Parameters')
  if ($null -ne $params -and $null -ne $params.GetValue('Application', $null)) {
    $exit = [ordered]@{}
    $exitKey = $params.OpenSubKey('AppExit')
    if ($null -ne $exitKey) {
      foreach ($v in $exitKey.GetValueNames()) {
        $label = $v
        if ($v -eq '') { $label = 'Default' }
        $exit[$label] = [string]$exitKey.GetValue($v, $null, $raw)
      }
      $exitKey.Close()
    }
    $nssm = [ordered]@{
      application = [string]$params.GetValue('Application', $null, $raw)
      parameters = [string]$params.GetValue('AppParameters', '', $raw)
      directory = [string]$params.GetValue('AppDirectory', '', $raw)
      stdout = [string]$params.GetValue('AppStdout', '', $raw)
      stderr = [string]$params.GetValue('AppStderr', '', $raw)
      rotate_files = & $dword ($params.GetValue('AppRotateFiles', $null))
      rotate_online = & $dword ($params.GetValue('AppRotateOnline', $null))
      rotate_seconds = & $dword ($params.GetValue('AppRotateSeconds', $null))
      rotate_bytes = & $dword ($params.GetValue('AppRotateBytes', $null))
      throttle = & $dword ($params.GetValue('AppThrottle', $null))
      restart_delay = & $dword ($params.GetValue('AppRestartDelay', $null))
      environment = & $list ($params.GetValue('AppEnvironmentExtra', $null))
      exit = $exit
    }
    $params.Close()
  }
  $scm = [ordered]@{
    display_name = [string]$key.GetValue('DisplayName', '')
    description = [string]$key.GetValue('Description', '')
    image_path = [string]$key.GetValue('ImagePath', '', $raw)
    start = [int]$key.GetValue('Start', 3)
    delayed = [int]$key.GetValue('DelayedAutostart', 0)
    account = $objectName
    account_sid = & $resolve $objectName
    dependencies = & $list ($key.GetValue('DependOnService', $null))
    required_privileges = & $list ($key.GetValue('RequiredPrivileges', $null))
    sid_type = [int]$key.GetValue('ServiceSidType', 0)
    failure_actions = $faText
    failure_on_non_crash = [int]$key.GetValue('FailureActionsOnNonCrashFailures', 0)
    status = $status
    nssm = $nssm
  }
  $key.Close()
}
$task = $null
$t = Get-ScheduledTask -TaskPath ([string]$in.task_path) -TaskName $name -ErrorAction SilentlyContinue
if ($null -ne $t) {
  $actions = @($t.Actions | ForEach-Object { [ordered]@{ execute = [string]$_.Execute; arguments = [string]$_.Arguments; working_directory = [string]$_.WorkingDirectory } })
  $triggers = @($t.Triggers | ForEach-Object { [ordered]@{ type = [string]$_.CimClass.CimClassName; delay = [string]$_.Delay; user = [string]$_.UserId; enabled = [bool]$_.Enabled } })
  $p = $t.Principal
  $who = [string]$p.UserId
  if (-not [string]::IsNullOrEmpty([string]$p.GroupId)) { $who = [string]$p.GroupId }
  $task = [ordered]@{
    path = [string]$t.TaskPath
    description = [string]$t.Description
    state = [string]$t.State
    enabled = [bool]$t.Settings.Enabled
    actions = $actions
    triggers = $triggers
    user = [string]$p.UserId
    group = [string]$p.GroupId
    principal_sid = & $resolve $who
    logon_type = [string]$p.LogonType
    run_level = [string]$p.RunLevel
    restart_count = [int]$t.Settings.RestartCount
    restart_interval = [string]$t.Settings.RestartInterval
    execution_time_limit = [string]$t.Settings.ExecutionTimeLimit
  }
}
$sids = [ordered]@{}
foreach ($a in @($in.accounts)) {
  if ($null -ne $a -and -not $sids.Contains([string]$a)) { $sids[[string]$a] = & $resolve ([string]$a) }
}
$passwords = [ordered]@{}
$store = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\Provision\Passwords')
foreach ($r in @($in.records)) {
  if ($null -eq $r) { continue }
  $record = $null
  if ($null -ne $store) { $record = $store.GetValue([string]$r, $null) }
  $passwords[[string]$r] = $record
}
if ($null -ne $store) { $store.Close() }
return [ordered]@{ scm = $scm; task = $task; sids = $sids; passwords = $passwords }
