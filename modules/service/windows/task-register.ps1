# Register (or replace) the scheduled task as a whole. Input: name, path, description, execute,
# arguments (a list, quoted here), working_directory, trigger {at, user, delay}, user, group, logon_type, run_level,
# restart_count, restart_interval, execution_time_limit, enabled, password (input only).
# Uses $joinArgs (prelude quote.ps1).
$arguments = & $joinArgs $in.arguments
$actionArgs = @{ Execute = [string]$in.execute }
if ($arguments -ne '') { $actionArgs.Argument = $arguments }
if ([string]$in.working_directory -ne '') { $actionArgs.WorkingDirectory = [string]$in.working_directory }
$action = New-ScheduledTaskAction @actionArgs
if ($in.trigger.at -eq 'logon') {
  $triggerArgs = @{ AtLogOn = $true }
  if ($null -ne $in.trigger.user) { $triggerArgs.User = [string]$in.trigger.user }
  $trigger = New-ScheduledTaskTrigger @triggerArgs
} else {
  $trigger = New-ScheduledTaskTrigger -AtStartup
}
if ([string]$in.trigger.delay -ne 'PT0S') { $trigger.Delay = [string]$in.trigger.delay }
$principalArgs = @{ RunLevel = [string]$in.run_level }
if ($null -ne $in.group) {
  $principalArgs.GroupId = [string]$in.group
} else {
  $principalArgs.UserId = [string]$in.user
  $principalArgs.LogonType = [string]$in.logon_type
}
$principal = New-ScheduledTaskPrincipal @principalArgs
$settingsArgs = @{ ExecutionTimeLimit = [Xml.XmlConvert]::ToTimeSpan([string]$in.execution_time_limit) }
if ([int]$in.restart_count -gt 0) {
  $settingsArgs.RestartCount = [int]$in.restart_count
  $settingsArgs.RestartInterval = [Xml.XmlConvert]::ToTimeSpan([string]$in.restart_interval)
}
if (-not $in.enabled) { $settingsArgs.Disable = $true }
$settings = New-ScheduledTaskSettingsSet @settingsArgs
$taskArgs = @{ Action = $action; Trigger = $trigger; Principal = $principal; Settings = $settings }
if ([string]$in.description -ne '') { $taskArgs.Description = [string]$in.description }
$task = New-ScheduledTask @taskArgs
$registerArgs = @{ TaskName = [string]$in.name; TaskPath = [string]$in.path; InputObject = $task; Force = $true }
if ($null -ne $in.password) {
  $registerArgs.User = [string]$in.user
  $registerArgs.Password = [string]$in.password
}
Register-ScheduledTask @registerArgs | Out-Null
return @{ registered = ([string]$in.path + [string]$in.name) }
